import type { Failure } from "./types";

/** A counted failure still waiting for its address: an IP-less line whose sshd process names it later. */
export type PendingFailure = Omit<Failure, "ip">;

/** What the detector knows about the connection one sshd process (pid) serves. */
export interface Connection {
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
 * Connections by sshd pid, at most `capacity` of them, so memory stays flat on any input. Two generations
 * instead of a strict LRU list: new and used connections live in `young`; when it is half full it becomes
 * `old` and the previous `old` is dropped with the connections nobody used since. An evicted connection's
 * pending failure is dropped (its address never came).
 */
export class ConnectionTable {
  private young = new Map<number, Connection>();
  private old = new Map<number, Connection>();

  constructor(private readonly capacity: number) {}

  /** The connection of `pid`; a fresh one when unknown or when `fresh` is set. */
  get(pid: number, fresh: boolean): Connection {
    const young = this.young.get(pid);
    if (young !== undefined && !fresh) return young;
    let connection = young === undefined ? this.old.get(pid) : undefined;
    if (connection === undefined || fresh) connection = newConnection();
    if (young === undefined && this.young.size >= this.capacity / 2) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(pid, connection);
    return connection;
  }

  /** Connections held (each pid counted once even while it is in both generations). */
  get size(): number {
    let size = this.young.size;
    for (const pid of this.old.keys()) if (!this.young.has(pid)) size++;
    return size;
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}

function newConnection(): Connection {
  return { ip: undefined, counted: 0, open: "none", closed: false, pending: undefined, lastSeen: undefined };
}
