export type { ScrubMethod, ScrubOptions, ScrubRule } from './options.js';
export { compileScrubber, type Scrubber } from './scrubber.js';
export { scrubEnvelope, SCRUBBED_ITEM_TYPES, type EnvelopeScrub } from './envelope.js';
export { BUILTINS, type BuiltinName, type BuiltinRule } from './builtins.js';
export { DEFAULT_HASH_KEY, FILTERED, METHODS } from './rules.js';
