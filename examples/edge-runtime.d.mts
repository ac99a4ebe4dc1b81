export interface RunningEdgeFunction {
  base: string;
  stop(): Promise<void>;
}

export declare function startVercelEdge(
  code: string,
  env: Record<string, string>,
): Promise<RunningEdgeFunction>;
