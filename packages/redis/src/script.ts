import { createHash } from 'node:crypto';

/** The part of a Redis client the stores use; an ioredis `Redis` or `Cluster` fits as it is. */
export interface RedisScriptClient {
  evalsha(sha: string, numberOfKeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(script: string, numberOfKeys: number, ...args: Array<string | number>): Promise<unknown>;
}

/** A Lua script and its SHA1, the name Redis caches it under. */
export interface RedisScript {
  readonly source: string;
  readonly sha: string;
}

export function defineScript(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

function isMissingScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Runs a script by its SHA: one round trip, or two the first time a server sees it. Errors reject. */
export async function runScript(
  client: RedisScriptClient,
  script: RedisScript,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    // First use on this server (or after a SCRIPT FLUSH): send the script itself once.
    if (!isMissingScript(error)) throw error;
    return client.eval(script.source, keys.length, ...keys, ...args);
  }
}

/** Whether a value has the two methods the stores call, so a wrong argument fails at construction. */
export function isScriptClient(value: unknown): value is RedisScriptClient {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RedisScriptClient).evalsha === 'function' &&
    typeof (value as RedisScriptClient).eval === 'function'
  );
}
