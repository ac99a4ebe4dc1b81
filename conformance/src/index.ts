export { runConformance, type ProgressEvent, type RunOptions } from './runner.js';
export {
  appTarget,
  assertContract,
  contractConfig,
  contractMatchers,
  runContract,
  type ContractConfig,
  type ContractConfigOptions,
  type RunContractOptions,
} from './run-contract.js';
export {
  serveApp,
  type ContractApp,
  type FetchApp,
  type NodeListener,
  type ServedApp,
  type ServerApp,
} from './serve-app.js';
export { checkContract, loadContract, parseSpec, CONTRACT_DIR, type Contract } from './contract.js';
export {
  commandTarget,
  serverTarget,
  urlTarget,
  freePort,
  waitForPort,
  type CommandTargetOptions,
  type RelayConfig,
  type RelayTarget,
  type RunningRelay,
} from './targets.js';
export {
  startUpstream,
  type ReceivedRequest,
  type RecordingUpstream,
  type UpstreamAnswer,
  type UpstreamOptions,
} from './upstream.js';
export { matchValue } from './match.js';
export { selects } from './select.js';
export { createProgressPrinter } from './progress.js';
export { writeReports } from './reporters/index.js';
export { renderConsole } from './reporters/console.js';
export type * from './types.js';
export { sampleEvent, type BrowserEventType, type SampleEvent } from './samples.js';
