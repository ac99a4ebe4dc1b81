/**
 * The bytes of envelopes a tunnel's requests hold in memory at once, counted against a budget for the
 * whole tunnel and a share per client. Each request takes a lease, grows it as it reads or decodes bytes
 * it keeps, and gives it back when it is done; a growth that would pass either limit is refused and takes
 * nothing, so the caller answers 503 before it keeps the chunk that asked.
 */
export interface InFlightBudget {
  /** A lease for one request from `client` (the key the rate limit counts that client under). */
  lease(client: string): Lease;
  /** Bytes held now by every lease. */
  held(): number;
  /** Bytes held now by the leases of one client. */
  heldBy(client: string): number;
  /** Leases not yet released. */
  open(): number;
}

/** What a tunnel shows of its budget (`tunnel.inFlight`), for metrics and tests: counts only, no leases. */
export type InFlightView = Pick<InFlightBudget, 'held' | 'heldBy' | 'open'>;

/** `held`: the lease now holds the total asked; otherwise which limit refused it (nothing was taken). */
export type Growth = 'held' | 'over-budget' | 'over-share';

export interface Lease {
  /** Bytes this lease holds. */
  readonly bytes: number;
  /** Grows this lease to `total` bytes in all (a total at or below what it holds changes nothing). */
  grow(total: number): Growth;
  /**
   * Adds bytes that are not refused: copies the tunnel must make of an envelope it has already accepted
   * (one per mirror to another project). They count against both limits, so later requests see them.
   */
  force(bytes: number): void;
  /** Gives every byte back. Later calls do nothing. */
  release(): void;
}

export interface InFlightBudgetOptions {
  /** Most bytes all leases may hold together. */
  maxBytes: number;
  /** Most bytes the leases of one client may hold together. */
  maxBytesPerClient: number;
}

export function createInFlightBudget(options: InFlightBudgetOptions): InFlightBudget {
  const { maxBytes, maxBytesPerClient } = options;
  let total = 0;
  let leases = 0;
  /** Only clients holding bytes now: an entry goes when its count reaches 0, so the map cannot grow without bound. */
  const byClient = new Map<string, number>();

  function add(client: string, bytes: number): void {
    total += bytes;
    const now = (byClient.get(client) ?? 0) + bytes;
    if (now > 0) byClient.set(client, now);
    else byClient.delete(client);
  }

  return {
    lease(client) {
      leases++;
      let bytes = 0;
      let released = false;
      const lease: Lease = {
        get bytes() {
          return bytes;
        },
        grow(wanted) {
          if (released) throw new Error('postern: a released in-flight lease was grown');
          const more = wanted - bytes;
          if (more <= 0) return 'held';
          if (total + more > maxBytes) return 'over-budget';
          if ((byClient.get(client) ?? 0) + more > maxBytesPerClient) return 'over-share';
          add(client, more);
          bytes = wanted;
          return 'held';
        },
        force(more) {
          if (released) throw new Error('postern: a released in-flight lease was grown');
          if (more <= 0) return;
          add(client, more);
          bytes += more;
        },
        release() {
          if (released) return;
          released = true;
          leases--;
          add(client, -bytes);
          bytes = 0;
        },
      };
      return lease;
    },
    held: () => total,
    heldBy: (client) => byClient.get(client) ?? 0,
    open: () => leases,
  };
}
