import { GetIPSetCommand, UpdateIPSetCommand, type WAFV2Client } from "@aws-sdk/client-wafv2";
import { changedSet, type OverflowResult, OverflowTargetBase } from "./overflow-target";

/** Which WAFv2 IP set: name, id and scope (`REGIONAL` for ALB/API Gateway, `CLOUDFRONT` in us-east-1). */
export interface WafIpSetRef {
  readonly name: string;
  readonly id: string;
  readonly scope: "REGIONAL" | "CLOUDFRONT";
}

/** AWS: an IP set holds at most 10,000 addresses (CIDRs). */
export const WAF_IP_SET_LIMIT = 10_000;
/** AWS: change an IP set at most about once per second. */
export const WAF_MIN_UPDATE_INTERVAL_MS = 1_000;
const MAX_LOCK_ROUNDS = 8;

export interface WafIpSetOptions {
  /** Epoch ms; tests inject a simulated clock. @default Date.now */
  readonly now?: () => number;
  /** Waits out the one-second spacing of updates; tests inject one that moves their clock. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * A WAFv2 IP set as an overflow target, for services behind ALB, API Gateway or CloudFront. Every change is
 * Get (addresses + LockToken) -> Update with that LockToken; a `WAFOptimisticLockException` (someone changed the
 * set in between) starts again from a fresh Get. Updates are spaced at least one second apart per adapter, and a
 * change that would pass 10,000 addresses is refused whole (`full`), never truncated.
 */
export class WafIpSet extends OverflowTargetBase {
  /** Calls by operation, and lock conflicts, for tests and the benchmark. */
  readonly stats = { gets: 0, updates: 0, lockConflicts: 0 };
  private lastUpdateAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: WAFV2Client,
    private readonly ref: WafIpSetRef,
    options: WafIpSetOptions = {},
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async list(): Promise<readonly string[]> {
    return (await this.get()).addresses;
  }

  protected async change(add: readonly string[], remove: readonly string[]): Promise<OverflowResult> {
    for (let round = 0; round < MAX_LOCK_ROUNDS; round++) {
      const { addresses, lockToken } = await this.get();
      const next = changedSet(addresses, add, remove);
      if (next.length === addresses.length && next.every((cidr, index) => cidr === addresses[index])) {
        return { status: "unchanged", size: addresses.length };
      }
      if (next.length > WAF_IP_SET_LIMIT) {
        return { status: "full", size: addresses.length, limit: WAF_IP_SET_LIMIT };
      }
      const wait = this.lastUpdateAt + WAF_MIN_UPDATE_INTERVAL_MS - this.now();
      if (wait > 0) await this.sleep(wait);
      try {
        await this.client.send(
          new UpdateIPSetCommand({
            Name: this.ref.name,
            Id: this.ref.id,
            Scope: this.ref.scope,
            Addresses: next,
            LockToken: lockToken,
          }),
        );
        this.stats.updates++;
        this.lastUpdateAt = this.now();
        return { status: "updated", size: next.length };
      } catch (error) {
        this.lastUpdateAt = this.now();
        if ((error as Error).name === "WAFOptimisticLockException") {
          this.stats.lockConflicts++;
          continue;
        }
        if ((error as Error).name === "WAFLimitsExceededException") {
          return { status: "full", size: addresses.length, limit: WAF_IP_SET_LIMIT };
        }
        throw error;
      }
    }
    throw new Error(`IP set ${this.ref.name} kept changing under ${MAX_LOCK_ROUNDS} lock-token rounds`);
  }

  private async get(): Promise<{ addresses: string[]; lockToken: string }> {
    const result = await this.client.send(
      new GetIPSetCommand({ Name: this.ref.name, Id: this.ref.id, Scope: this.ref.scope }),
    );
    this.stats.gets++;
    if (result.LockToken === undefined) throw new Error(`GetIPSet of ${this.ref.name} returned no LockToken`);
    return { addresses: [...(result.IPSet?.Addresses ?? [])], lockToken: result.LockToken };
  }
}
