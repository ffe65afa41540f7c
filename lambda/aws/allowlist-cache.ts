import { AllowMatcher } from "../core/allow-match";
import type { Allowlist } from "./allowlist";

/**
 * How long a Lambda container keeps the runtime allowlist it read: batches processed after an `ignore add` honour
 * it within this time (docs/cli.md). The adding command also lifts, at once, the bans the entry covers.
 */
export const ALLOWLIST_CACHE_MS = 60_000;

/**
 * The runtime allowlist's `ignore` entries as a matcher, read at most once per {@link ALLOWLIST_CACHE_MS} per
 * container (one Query), so that a batch costs no extra request while the cache is fresh.
 */
export class AllowlistCache {
  private cached: { readonly at: number; readonly matcher: AllowMatcher } | undefined;

  constructor(
    private readonly allowlist: Allowlist,
    private readonly maxAgeMs: number = ALLOWLIST_CACHE_MS,
  ) {}

  /** The matcher in force at `now` (epoch ms). */
  async matcher(now: number): Promise<AllowMatcher> {
    if (this.cached !== undefined && now - this.cached.at < this.maxAgeMs && now >= this.cached.at) {
      return this.cached.matcher;
    }
    const entries = await this.allowlist.list(Math.floor(now / 1000));
    const matcher = new AllowMatcher(entries.filter((entry) => entry.scope === "ignore"));
    this.cached = { at: now, matcher };
    return matcher;
  }
}
