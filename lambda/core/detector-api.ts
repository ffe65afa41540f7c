import { isBinary, MAX_LINE_LENGTH } from "./line-limits";
import type { Failure, JailConfig } from "./types";
import type { UnbannableFailure } from "./unbannable-sources";

/** Which filter a detector runs: the fields of a jail that concern detection. */
export type FilterSpec = Pick<JailConfig, "filter" | "mode" | "failregex" | "ignoreregex">;

export interface DetectorOptions {
  readonly filter: FilterSpec;
  /** Epoch ms now: year-less syslog stamps get this year unless that lies in the future, then the year before. */
  readonly now: number;
  /** Overrides the year of year-less syslog stamps (`--year`). */
  readonly year?: number;
  /**
   * The zone year-less, zone-less syslog stamps were written in when their line has no event time (`--zone`: an
   * IANA name or a fixed offset, stamp-reconcile.ts); lines with an event time are placed by it. @default UTC
   */
  readonly zone?: string;
}

export interface LineContext {
  /** 1-based line number (file) or event index (batch). */
  readonly line: number;
  /** Epoch ms the line was received (CloudWatch event timestamp); used when the line carries no time. */
  readonly receivedAt?: number;
}

export interface DetectorStats {
  read: number;
  matched: number;
  missed: number;
  ignored: number;
  /** Lines not read for failures: longer than MAX_LINE_LENGTH, binary, or an sshd message over sshd's 500 bytes. */
  skipped: number;
  /** Failures sshd attributed to a source no ACL can hold (a host name, a non-canonical address): never banned. */
  unbannable: number;
  readonly hitsByPattern: Map<string, number>;
}

export interface Detector {
  /** Feeds one line; returns the failures that became countable with it (usually 0 or 1). Never throws on input. */
  push(text: string, context: LineContext): readonly Failure[];
  /**
   * Ends the input; returns failures still held for correlation. An IP-less line (`kex_exchange_identification`)
   * is released as soon as a later line of its sshd process names the address; one still held at the end
   * never got an address and cannot be attributed, so this returns nothing for it.
   */
  end(): readonly Failure[];
  /**
   * The failures found since the last call whose source sshd wrote as a host name or in a form that is not
   * exactly one address: counted in `stats.unbannable`, never returned by push (nothing can ban them).
   */
  takeUnbannable(): readonly UnbannableFailure[];
  readonly stats: DetectorStats;
}

export const NONE: readonly Failure[] = Object.freeze([]);

export function newStats(): DetectorStats {
  return { read: 0, matched: 0, missed: 0, ignored: 0, skipped: 0, unbannable: 0, hitsByPattern: new Map() };
}

/**
 * Counts the line as read; true (and counted as skipped) when it is too long or binary to be read at all
 * (see line-limits.ts).
 */
export function screenedOut(stats: DetectorStats, text: string): boolean {
  stats.read++;
  if (text.length <= MAX_LINE_LENGTH && !isBinary(text)) return false;
  stats.skipped++;
  return true;
}

export function countHit(stats: DetectorStats, patternId: string): void {
  stats.matched++;
  stats.hitsByPattern.set(patternId, (stats.hitsByPattern.get(patternId) ?? 0) + 1);
}
