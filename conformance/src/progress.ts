import type { ProgressEvent } from './runner.js';

/**
 * Live progress on a terminal: one line rewritten in place with the count and the case at hand; in CI
 * (no TTY) a line per relay when it finishes, so logs stay short. Failures are printed as they happen.
 */
export function createProgressPrinter(
  stream: NodeJS.WriteStream = process.stderr,
): (event: ProgressEvent) => void {
  const tty = stream.isTTY === true;
  let currentRelay = '';
  let relayDone = 0;
  let relayFailed = 0;
  const began = Date.now();
  const flushRelay = (): void => {
    if (currentRelay && !tty)
      stream.write(
        `  ${currentRelay}: ${relayDone} cases, ${relayFailed} failed (${((Date.now() - began) / 1000).toFixed(1)} s)\n`,
      );
  };
  return (event) => {
    if (event.type === 'begin') {
      stream.write(`Running ${event.total} cases against ${event.relays.join(', ')}\n`);
      return;
    }
    const { result } = event;
    if (result.relay !== currentRelay) {
      flushRelay();
      currentRelay = result.relay;
      relayDone = 0;
      relayFailed = 0;
    }
    relayDone++;
    if (result.outcome === 'failed') relayFailed++;
    if (tty) stream.write(`\r\x1b[2K[${event.done}/${event.total}] ${result.relay} ${result.id}`);
    if (result.outcome === 'failed')
      stream.write(
        `${tty ? '\r\x1b[2K' : ''}  ✗ ${result.relay} ${result.id}: ${result.failures[0]?.message ?? ''}\n`,
      );
    if (event.done === event.total) {
      if (tty) stream.write('\r\x1b[2K');
      flushRelay();
    }
  };
}
