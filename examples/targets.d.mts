import type { RelayTarget } from '@postern/conformance';

export declare const EXAMPLES: readonly string[];
export declare function exampleTargets(names?: readonly string[]): RelayTarget[];
export declare function standaloneTarget(): RelayTarget;
export declare function standaloneRedisTarget(): RelayTarget;
export declare const RUNTIMES: readonly string[];
export declare function runtimeTargets(names?: readonly string[]): RelayTarget[];
