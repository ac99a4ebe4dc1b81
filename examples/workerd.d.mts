export interface RunningWorker {
  base: string;
  /** What workerd printed on stderr so far: uncaught errors land here. */
  stderr(): string;
  stop(): Promise<void>;
}

export declare function bundleWorker(
  input: string | { contents: string; resolveDir: string },
  alias?: Record<string, string>,
  format?: 'esm' | 'iife',
): Promise<string>;
export declare function startWorkerd(
  code: string,
  bindings: Record<string, string>,
  port?: number,
): Promise<RunningWorker>;

export interface RunningEdge {
  base: string;
  stop(): Promise<void>;
}

export declare function startCloudflareEdge(origin: string, port?: number): Promise<RunningEdge>;
