export { main } from './cli.js';
export {
  loadConfig,
  ConfigError,
  KEYS,
  envName,
  type LoadOptions,
  type ServeConfig,
} from './config.js';
export { createRelayServer, type RelayServer } from './server.js';
export { createLogger } from './logger.js';
export { renderConfig, type InitAnswers } from './commands/init.js';
