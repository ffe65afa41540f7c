/** A problem with how the command was called or configured: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Exit codes every cloudjail command shares (documented in README.md). */
export const EXIT = {
  ok: 0,
  /** The command ran but failed: AWS error, unreachable endpoint, I/O error. */
  failed: 1,
  /** Usage or configuration error: wrong option, unreadable config, malformed IP, unknown jail or stack. */
  usage: 2,
} as const;
