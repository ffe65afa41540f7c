import type { Failure } from "./types";
import type { UnbannableSources } from "./unbannable-sources";

/** A counted failure still waiting for its address: an IP-less line whose sshd process names it later. */
export type PendingFailure = Omit<Failure, "ip">;

/** No attempt of the connection is open. */
export const OPEN_NONE = 0;
/** An attempt was opened by a precursor (`Invalid user`) and waits for its confirming line. */
export const OPEN_PRECURSOR = 1;
/** An attempt was opened by a refused credential (`PAM: Authentication failure`). */
export const OPEN_CREDENTIAL = 2;

/**
 * What the detector knows about the connection each sshd process (pid) serves, in a fixed table of `capacity`
 * slots (a power of two) indexed by the pid's low bits: O(1) without hashing, and memory that stays flat on any
 * input. A new pid takes its slot over; since the kernel hands out pids in increasing order, the connection it
 * evicts is one `capacity` pids older, long over in practice. An evicted connection's pending failure is
 * dropped (its address never came).
 *
 * The state is kept in typed arrays indexed by slot rather than in an object per connection: the table keeps a
 * connection for `capacity` pids, so objects (and the address strings and boxed times in them) would survive
 * every young-generation collection, which cost a tenth of test-filter's run time.
 */
export class ConnectionTable {
  /** The pid owning each slot; NaN for a slot never used (pids may have up to 10 digits). */
  private readonly pids: Float64Array;
  private readonly mask: number;
  /** The client's IPv4 address as a 32-bit number, once a line of this pid carried it; -1 otherwise. */
  readonly ipv4: Float64Array;
  /** The client's canonical address when it is not IPv4. */
  readonly ip: Array<string | undefined>;
  /** Failed attempts counted for the connection. */
  readonly counted: Uint32Array;
  /** OPEN_NONE, OPEN_PRECURSOR or OPEN_CREDENTIAL: the counted attempt waiting for its `Failed ...` line. */
  readonly open: Uint8Array;
  /** 1 when a line ended the connection: the next counted line of this pid starts a new one. */
  readonly closed: Uint8Array;
  /** At most one counted failure waiting for the address. */
  readonly pending: Array<PendingFailure | undefined>;
  /**
   * The source sshd wrote for the pending failure when it is no address (a host name): if no line of the
   * connection ever names the address, the failure is reported as unbannable when the connection is dropped.
   */
  readonly source: Array<string | undefined>;
  /** Epoch ms of the connection's closing line; NaN when unknown. */
  readonly lastSeen: Float64Array;
  /**
   * PAM modules' refusals (pam_unix `authentication failure`, with the user name) that no line of sshd has
   * confirmed yet: another module may still accept the password (fail2ban's gh-2070), so they count only when
   * the connection logs in as another user.
   */
  readonly refusals: Array<PendingFailure[] | undefined>;

  constructor(
    capacity: number,
    private readonly unbannable: UnbannableSources,
  ) {
    if (capacity < 1 || (capacity & (capacity - 1)) !== 0) throw new Error("capacity must be a power of two");
    this.mask = capacity - 1;
    this.pids = new Float64Array(capacity).fill(Number.NaN);
    this.ipv4 = new Float64Array(capacity).fill(-1);
    this.ip = new Array<string | undefined>(capacity).fill(undefined);
    this.counted = new Uint32Array(capacity);
    this.open = new Uint8Array(capacity);
    this.closed = new Uint8Array(capacity);
    this.pending = new Array<PendingFailure | undefined>(capacity).fill(undefined);
    this.source = new Array<string | undefined>(capacity).fill(undefined);
    this.lastSeen = new Float64Array(capacity).fill(Number.NaN);
    this.refusals = new Array<PendingFailure[] | undefined>(capacity).fill(undefined);
  }

  /** The slot of `pid`'s connection; reset to a fresh connection when the pid is new or `fresh` is set. */
  slot(pid: number, fresh: boolean): number {
    const slot = pid & this.mask;
    if (this.pids[slot] === pid && !fresh) return slot;
    this.dropPending(slot);
    this.pids[slot] = pid;
    this.ipv4[slot] = -1;
    this.ip[slot] = undefined;
    this.counted[slot] = 0;
    this.open[slot] = OPEN_NONE;
    this.closed[slot] = 0;
    this.pending[slot] = undefined;
    this.source[slot] = undefined;
    this.lastSeen[slot] = Number.NaN;
    this.refusals[slot] = undefined;
    return slot;
  }

  /** The slot of `pid`'s connection when the table holds it, else -1; changes nothing. */
  find(pid: number): number {
    const slot = pid & this.mask;
    return this.pids[slot] === pid ? slot : -1;
  }

  /** Forgets every connection (a pending failure with a named source is reported as unbannable first). */
  clear(): void {
    for (let slot = 0; slot < this.source.length; slot++) this.dropPending(slot);
    this.pids.fill(Number.NaN);
    this.ip.fill(undefined);
    this.pending.fill(undefined);
    this.refusals.fill(undefined);
  }

  /** A pending failure whose address never came but whose source sshd named goes to the unbannable ones. */
  private dropPending(slot: number): void {
    const source = this.source[slot];
    if (source === undefined) return;
    const pending = this.pending[slot];
    if (pending !== undefined) this.unbannable.add({ ...pending, source });
    this.source[slot] = undefined;
  }
}
