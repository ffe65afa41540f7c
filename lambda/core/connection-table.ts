import type { Failure } from "./types";

/** A counted failure still waiting for its address: an IP-less line whose sshd process names it later. */
export type PendingFailure = Omit<Failure, "ip">;

/** What the detector knows about the connection one sshd process (pid) serves. */
export interface Connection {
  readonly pid: number;
  /** The client's canonical address, once a line of this pid carried it. */
  ip: string | undefined;
  /** Failed attempts counted for this connection. */
  counted: number;
  /**
   * The counted attempt waiting for its confirming line (`Failed password`): opened by a precursor
   * (`Invalid user`) or a refused credential (`PAM: Authentication failure`); `none` when there is none.
   */
  open: "none" | "precursor" | "credential";
  /** A line ended the connection: the next counted line of this pid starts a new one. */
  closed: boolean;
  /** At most one counted failure waiting for the address. */
  pending: PendingFailure | undefined;
  /** Epoch ms of the connection's latest line, when known. */
  lastSeen: number | undefined;
}

/**
 * Connections by sshd pid in a fixed table of `capacity` slots (a power of two) indexed by the pid's low bits:
 * O(1) without hashing, and memory that stays flat on any input. A new pid takes its slot over; since the
 * kernel hands out pids in increasing order, the connection it evicts is one `capacity` pids older, long over
 * in practice. An evicted connection's pending failure is dropped (its address never came).
 */
export class ConnectionTable {
  private readonly slots: Array<Connection | undefined>;
  private readonly mask: number;

  constructor(capacity: number) {
    if (capacity < 1 || (capacity & (capacity - 1)) !== 0) throw new Error("capacity must be a power of two");
    this.slots = new Array<Connection | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
  }

  /** The connection of `pid`; a fresh one when unknown or when `fresh` is set. */
  get(pid: number, fresh: boolean): Connection {
    const slot = pid & this.mask;
    const known = this.slots[slot];
    if (known !== undefined && known.pid === pid && !fresh) return known;
    const connection = newConnection(pid);
    this.slots[slot] = connection;
    return connection;
  }

  clear(): void {
    this.slots.fill(undefined);
  }
}

function newConnection(pid: number): Connection {
  return {
    pid,
    ip: undefined,
    counted: 0,
    open: "none",
    closed: false,
    pending: undefined,
    lastSeen: undefined,
  };
}
