import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../delivery/delivery.js';
import type { RelayLogger, SpoolEvent } from '../options.js';
import { TMP_DIR } from './atomic-write.js';
import { openFileSpool, SpoolSerializationError } from './file-spool.js';
import { createLocalDelivery } from './local-delivery.js';
import { createSpoolDelivery } from './spool-delivery.js';

let base: string;
let umask: number | undefined;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'postern-spool-files-'));
  // With no umask at all, a file or directory created without a mode would be 0666 / 0777: the test then
  // shows the modes come from the code, not from the environment's umask. (Workers cannot set it; forks can.)
  try {
    umask = process.umask(0);
  } catch {
    umask = undefined;
  }
});
afterEach(async () => {
  if (umask !== undefined) process.umask(umask);
  await rm(base, { recursive: true, force: true });
});

const modeOf = async (path: string): Promise<string> =>
  ((await stat(path)).mode & 0o777).toString(8);
const event = { event_type: 'frontend_breadcrumb', event_id: 'e1', payload: { data: {} } };

function recordingLogger(): RelayLogger & {
  lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
} {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  return {
    lines,
    warn: (message, fields) =>
      void lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
    error: (message, fields) =>
      void lines.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
  };
}

/** An event nested deeper than JSON.stringify can recurse. */
function deeplyNested(depth: number): Record<string, unknown> {
  let inner: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) inner = { a: inner };
  return { ...event, payload: { data: inner } };
}

describe('spool and local-only files are for the relay user only', () => {
  it('creates spool directories (missing parents included) 0700 and every entry file 0600, in each state', async () => {
    const dir = join(base, 'parent', 'spool');
    const spool = openFileSpool({ dir, maxBytes: 1_000_000, leaseMs: 10_000 });
    await spool.init();
    expect(await modeOf(join(base, 'parent'))).toBe('700');
    expect(await modeOf(dir)).toBe('700');
    expect(await modeOf(join(dir, TMP_DIR))).toBe('700');

    const stored = await spool.store([event]);
    if (!stored.ok) throw new Error('not stored');
    const [pending] = await readdir(dir).then((names) =>
      names.filter((name) => !name.startsWith('.')),
    );
    expect(await modeOf(join(dir, pending as string))).toBe('600');
    const claim = await spool.claim(stored.id);
    const [inflight] = (await readdir(dir)).filter((name) => name.includes('.inflight'));
    expect(await modeOf(join(dir, inflight as string))).toBe('600');
    await claim?.delivered();
    expect(await modeOf(join(dir, `${stored.id}.delivered`))).toBe('600');
  });

  it('creates localEventsDir 0700 and each events file 0600', async () => {
    const dir = join(base, 'local', 'events');
    const delivery = createLocalDelivery({ localEventsDir: dir });
    expect(await delivery.deliver([event])).toEqual({ ok: true });
    expect(await modeOf(join(base, 'local'))).toBe('700');
    expect(await modeOf(dir)).toBe('700');
    expect(await modeOf(join(dir, TMP_DIR))).toBe('700');
    const files = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(await modeOf(join(dir, files[0] as string))).toBe('600');
  });
});

describe('a batch that cannot be serialised is not a disk failure', () => {
  it('the spool throws SpoolSerializationError and writes nothing', async () => {
    const dir = join(base, 'spool');
    const spool = openFileSpool({ dir, maxBytes: 1_000_000, leaseMs: 10_000 });
    await spool.init();
    const error = await spool.store([deeplyNested(200_000)]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SpoolSerializationError);
    expect((error as Error).message).toMatch(/RangeError/);
    expect(await readdir(dir)).toEqual([TMP_DIR]);
    expect(await readdir(join(dir, TMP_DIR))).toEqual([]);
  });

  it('durable delivery answers internal_error and logs a serialisation failure, not "could not write" and not spool_unavailable; a disk failure still is one', async () => {
    const logger = recordingLogger();
    const events: SpoolEvent[] = [];
    const forward: Delivery = { deliver: async () => ({ ok: true }) };
    const options = {
      maxSpoolBytes: 1_000_000,
      forward,
      upstreamTimeoutMs: 1000,
      retryBaseMs: 10,
      retryMaxMs: 100,
      redeliveryConcurrency: 1,
      logger,
      onSpoolEvent: (spoolEvent: SpoolEvent) => events.push(spoolEvent),
    };
    const delivery = createSpoolDelivery({ spoolDir: join(base, 'spool'), ...options });
    const outcome = await delivery.deliver([deeplyNested(200_000)]);
    expect(outcome).toMatchObject({ ok: false, code: 'internal_error' });
    expect(logger.lines).toEqual([
      {
        level: 'error',
        message: expect.stringMatching(/could not be serialised/),
        fields: { error: expect.stringMatching(/RangeError/) },
      },
    ]);
    expect(logger.lines.some((line) => /could not write/.test(line.message))).toBe(false);
    expect(events.filter((spoolEvent) => spoolEvent.type === 'refused')).toEqual([]);
    // The spool itself is fine: the next batch is stored.
    expect(await delivery.deliver([event])).toEqual({ ok: true });
    await delivery.close();

    // A real write failure keeps its own report: a spool directory under a regular file.
    await writeFile(join(base, 'a-file'), '');
    const broken = createSpoolDelivery({ spoolDir: join(base, 'a-file', 'spool'), ...options });
    expect(await broken.deliver([event])).toMatchObject({ ok: false, code: 'spool_unavailable' });
    expect(logger.lines.at(-1)?.message).toMatch(/could not write to the spool/);
    await broken.close();
  });

  it('local-only delivery answers internal_error and does not log "could not write local events"', async () => {
    const logger = recordingLogger();
    const dir = join(base, 'events');
    const delivery = createLocalDelivery({ localEventsDir: dir, logger });
    expect(await delivery.deliver([deeplyNested(200_000)])).toMatchObject({
      ok: false,
      code: 'internal_error',
    });
    expect(logger.lines).toEqual([
      {
        level: 'error',
        message: expect.stringMatching(/could not be serialised/),
        fields: { error: expect.stringMatching(/RangeError/) },
      },
    ]);
    expect(await delivery.deliver([event])).toEqual({ ok: true });
  });
});
