import { seededRandom } from "../../lambda/core/seeded-random";
import { Ec2ApiError } from "./ec2-api-error";

/** The EC2 actions the local model answers. */
export type Ec2Action =
  | "CreateNetworkAclEntry"
  | "ReplaceNetworkAclEntry"
  | "DeleteNetworkAclEntry"
  | "DescribeNetworkAcls"
  | "DescribeInstances"
  | "DescribeSubnets"
  | "DescribeVpcs";

export const EC2_ACTIONS: readonly Ec2Action[] = [
  "CreateNetworkAclEntry",
  "ReplaceNetworkAclEntry",
  "DeleteNetworkAclEntry",
  "DescribeNetworkAcls",
  "DescribeInstances",
  "DescribeSubnets",
  "DescribeVpcs",
];

/**
 * Counts the local model's API calls and throttles them on demand: the next N calls, or each call with a
 * probability drawn from a seeded generator so that a run can be repeated exactly.
 */
export class CallGate {
  /** API calls received per action, throttled ones included. */
  readonly calls: Record<Ec2Action, number>;
  /** How many calls were answered with `RequestLimitExceeded`. */
  throttledCalls = 0;
  private readonly random: () => number;
  private throttleCount = 0;
  private throttleProbability = 0;
  private throttledActions: ReadonlySet<Ec2Action> = new Set(EC2_ACTIONS);

  constructor(seed: number) {
    this.random = seededRandom(seed);
    this.calls = Object.fromEntries(EC2_ACTIONS.map((action) => [action, 0])) as Record<Ec2Action, number>;
  }

  /** The next `count` calls (of `actions`, default all) fail with `RequestLimitExceeded`. */
  throttleNext(count: number, actions: readonly Ec2Action[] = EC2_ACTIONS): void {
    this.throttleCount = count;
    this.throttledActions = new Set(actions);
  }

  /** Each call (of `actions`) fails with `RequestLimitExceeded` with this probability. */
  throttleRandomly(probability: number, actions: readonly Ec2Action[] = EC2_ACTIONS): void {
    this.throttleProbability = probability;
    this.throttledActions = new Set(actions);
  }

  /** Counts one call; throws `RequestLimitExceeded` when it is to be throttled. */
  admit(action: Ec2Action): void {
    this.calls[action] += 1;
    if (!this.throttledActions.has(action)) return;
    const throttled =
      this.throttleCount > 0 || (this.throttleProbability > 0 && this.random() < this.throttleProbability);
    if (!throttled) return;
    if (this.throttleCount > 0) this.throttleCount -= 1;
    this.throttledCalls += 1;
    throw new Ec2ApiError("RequestLimitExceeded", "Request limit exceeded.");
  }
}
