import { DEFAULTS } from '@postern/core';
import { claimLeaseMs, openFileSpool, type FileSpool } from '@postern/core/spool';
import type { ServeConfig } from '../config.js';
import type { Output } from '../output.js';

/**
 * The configured spool, opened the way a running server opens it (same claim lease), for commands that
 * work on it from outside; undefined, with the reason printed, when the directory is not usable.
 */
export async function openConfiguredSpool(
  config: ServeConfig,
  command: string,
  out: Output,
): Promise<FileSpool | undefined> {
  const spool = openFileSpool({
    dir: config.relay.spoolDir,
    maxBytes: Number.MAX_SAFE_INTEGER,
    leaseMs: claimLeaseMs(config.relay.upstreamTimeoutMs ?? DEFAULTS.upstreamTimeoutMs),
  });
  try {
    await spool.init();
    return spool;
  } catch (error) {
    out.error(
      `postern ${command}: the spool directory ${config.relay.spoolDir} is not usable: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}
