export { init, type ClientStats, type InitOptions, type PosternClient } from './client.js';
export {
  SCHEMA_VERSION,
  SDK_NAME,
  SDK_VERSION,
  type BreadcrumbType,
  type BrowserEvent,
  type EventType,
} from './events.js';
