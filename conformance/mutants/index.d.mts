import type { Server } from 'node:http';

export interface Mutant {
  name: string;
  breaks: string;
  expectedFailures: string[];
  createServer: (
    options: Record<string, unknown>,
    config?: { protocol: 'browser' | 'sentry-tunnel' },
  ) => Server;
}

export declare const mutants: Mutant[];
