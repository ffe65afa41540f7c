import type { DetectorStats } from "./detector-api";
import type { Failure } from "./types";

/**
 * A failure sshd attributed to a source that no network ACL can hold: a host name (sshd writes one instead of
 * the address with `UseDNS yes`, and it comes from the reverse zone of whoever owns the address) or an address
 * in a form sshd never writes (`192.030.0.6`, a decimal or an octal reading of two different hosts). Counted
 * apart, never banned, and shown (`test-filter`'s "Not bannable") so that an operator can see what sshd said.
 */
export interface UnbannableFailure extends Omit<Failure, "ip"> {
  /** The source as sshd wrote it (a host name, or address text that is not exactly one address). */
  readonly source: string;
}

/** Most unbannable failures kept between two `take()`s; the rest are only counted (stats). */
export const MAX_UNBANNABLE_KEPT = 1024;

const NOTHING: readonly UnbannableFailure[] = Object.freeze([]);

/** Longest DNS name (RFC 1035). */
const MAX_HOST_NAME = 253;

/**
 * True when `text[start, end)` looks like a source sshd writes: a host name or address-like text (letters,
 * digits, `.`, `-`, `_`, `:`), not any word.
 */
export function isSourceText(text: string, start: number, end: number): boolean {
  if (end <= start || end - start > MAX_HOST_NAME) return false;
  let dots = 0;
  for (let position = start; position < end; position++) {
    const code = text.charCodeAt(position);
    if (code === 46 /* . */ || code === 58 /* : */) dots++;
    else if (
      !(
        (
          (code >= 48 && code <= 57) ||
          (code >= 65 && code <= 90) ||
          (code >= 97 && code <= 122) ||
          code === 45 /* - */ ||
          code === 95
        ) /* _ */
      )
    )
      return false;
  }
  // A bare word (`localhost` aside) is more likely a cut or garbled line than a name sshd resolved.
  return dots > 0 || text.startsWith("localhost", start);
}

/**
 * The unbannable failures a detector found since they were last taken (at most MAX_UNBANNABLE_KEPT), each
 * counted in its stats.
 */
export class UnbannableSources {
  private kept: UnbannableFailure[] = [];

  constructor(private readonly stats: DetectorStats) {}

  add(failure: UnbannableFailure): void {
    this.stats.unbannable++;
    if (this.kept.length < MAX_UNBANNABLE_KEPT) this.kept.push(failure);
  }

  take(): readonly UnbannableFailure[] {
    if (this.kept.length === 0) return NOTHING;
    const taken = this.kept;
    this.kept = [];
    return taken;
  }
}
