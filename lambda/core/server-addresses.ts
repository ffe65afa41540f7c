import type { PendingFailure } from "./connection-table";
import type { Failure } from "./types";

/** Local addresses remembered: a server listens on few. */
const MAX_LOCAL = 64;
/** Listener timeouts held while neither of their addresses is known to be the server's. */
const MAX_UNRESOLVED = 64;

interface Unresolved {
  readonly first: string;
  readonly second: string;
  readonly failure: PendingFailure;
}

/**
 * The server's own addresses, as sshd names them (`Connection from R port p on L port 22`, `drop connection #n
 * from [R]:p on [L]:22`), and the 9.8+ listener timeouts (`for connection from A to B, pid = P`) waiting for
 * them: 9.8 printed the local address first, 9.9 and later the remote one, and the line does not say which
 * release wrote it. A timeout counts for the address that is not the server's, once one of the two is known to
 * be; never for the server's own. Memory is bounded (64 addresses, 64 waiting timeouts: the oldest is dropped).
 */
export class ServerAddresses {
  private readonly local = new Set<string>();
  private unresolved: Unresolved[] = [];

  isLocal(ip: string): boolean {
    return this.local.has(ip);
  }

  /** Learns a local address; returns the held timeouts it resolves. */
  learn(ip: string): Failure[] | undefined {
    if (this.local.has(ip)) return undefined;
    if (this.local.size >= MAX_LOCAL) this.local.delete(this.local.values().next().value as string);
    this.local.add(ip);
    const released: Failure[] = [];
    this.unresolved = this.unresolved.filter((held) => {
      const remote = this.remoteOf(held.first, held.second);
      if (remote === undefined) return true;
      released.push({ ...held.failure, ip: remote });
      return false;
    });
    return released.length === 0 ? undefined : released;
  }

  /** The remote one of two addresses when the other is known local (and this one is not); else undefined. */
  remoteOf(first: string, second: string): string | undefined {
    const firstLocal = this.local.has(first);
    const secondLocal = this.local.has(second);
    if (firstLocal === secondLocal) return undefined;
    return firstLocal ? second : first;
  }

  /** Holds a timeout whose remote address is not known yet. */
  hold(first: string, second: string, failure: PendingFailure): void {
    if (this.unresolved.length >= MAX_UNRESOLVED) this.unresolved.shift();
    this.unresolved.push({ first, second, failure });
  }

  clear(): void {
    this.unresolved = [];
  }
}
