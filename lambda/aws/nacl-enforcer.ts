import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  type EC2Client,
  type NetworkAclEntry,
} from "@aws-sdk/client-ec2";
import { ipFamily } from "../core/ip";
import {
  checkRuleRange,
  type DesiredDeny,
  inRange,
  type NaclRule,
  type RuleRange,
  sameDeny,
} from "../core/nacl-plan";
import { countingAttempts, type SDK_RETRY } from "./sdk-retry";

/** An ingress DENY cloudjail writes: `entry.ruleNumber` must lie in the reserved range. */
export interface DenyRequest extends DesiredDeny {
  readonly naclId: string;
}

/** What happened to one add. Never silent: every outcome but `added`/`exists` needs the caller's attention. */
export type AddDenyResult =
  /** The entry was written. */
  | { readonly status: "added" }
  /** The same entry was already there (a repeated or concurrent add): nothing to do. */
  | { readonly status: "exists" }
  /** The number holds another entry: lease another number. */
  | { readonly status: "conflict"; readonly existing: NaclRule }
  /** `NetworkAclEntryLimitExceeded`: the NACL holds its quota of entries of this address family. */
  | { readonly status: "full" };

export type RemoveResult = { readonly status: "removed" } | { readonly status: "absent" };

/** Writes and reads cloudjail's deny entries; never touches a rule number outside the reserved range. */
export interface NaclEnforcer {
  /** Every ingress entry of the NACL, all rule numbers (planning needs the user's rules too). */
  readEntries(naclId: string): Promise<NaclRule[]>;
  /** Ingress entries of several NACLs in one call, keyed by NACL id. */
  readManyEntries(naclIds: readonly string[]): Promise<Map<string, NaclRule[]>>;
  /** Adds an ingress DENY; idempotent for the same entry. */
  addDeny(request: DenyRequest): Promise<AddDenyResult>;
  /** Removes an ingress entry in the reserved range; a missing entry is `absent`, not an error. */
  removeEntry(naclId: string, ruleNumber: number): Promise<RemoveResult>;
}

/** A rule number outside the reserved range was asked for: a programming error, refused before any call. */
export class OutsideReservedRangeError extends Error {
  override readonly name = "OutsideReservedRangeError";
}

export interface Ec2NaclEnforcerOptions {
  /** The only rule numbers this enforcer will write or remove. */
  readonly reservedRuleRange: RuleRange;
}

/** Counters for the benchmark's "EC2 calls per ban". */
export interface EnforcerStats {
  /** EC2 requests sent, the SDK's retries included. */
  calls: number;
  /** Requests the SDK repeated after throttling or a server error. */
  retries: number;
}

/**
 * `NaclEnforcer` over an injected `EC2Client`. Throttling (`RequestLimitExceeded`), 5xx and network errors are
 * retried by the client itself: build it with {@link SDK_RETRY} (adaptive mode, a bounded number of attempts). The
 * enforcer only counts the attempts the SDK reports.
 */
export class Ec2NaclEnforcer implements NaclEnforcer {
  readonly stats: EnforcerStats = { calls: 0, retries: 0 };
  private readonly range: RuleRange;

  constructor(
    private readonly client: EC2Client,
    options: Ec2NaclEnforcerOptions,
  ) {
    checkRuleRange(options.reservedRuleRange);
    this.range = options.reservedRuleRange;
  }

  async readEntries(naclId: string): Promise<NaclRule[]> {
    return (await this.readManyEntries([naclId])).get(naclId) ?? [];
  }

  async readManyEntries(naclIds: readonly string[]): Promise<Map<string, NaclRule[]>> {
    const result = new Map<string, NaclRule[]>();
    if (naclIds.length === 0) return result;
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.send(() =>
        this.client.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [...naclIds], NextToken: token })),
      );
      for (const nacl of page.NetworkAcls ?? []) {
        const rules = (nacl.Entries ?? []).map(toRule).filter((rule) => !rule.egress);
        result.set(nacl.NetworkAclId ?? "", rules);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return result;
  }

  async addDeny(request: DenyRequest): Promise<AddDenyResult> {
    this.requireOwned(request.ruleNumber);
    // A stale read can show a number as empty right after EC2 refused it as taken: try the create again then.
    for (let round = 0; round < 3; round += 1) {
      try {
        await this.send(() => this.client.send(new CreateNetworkAclEntryCommand(toCreateInput(request))));
        return { status: "added" };
      } catch (error) {
        const code = errorCode(error);
        if (code === "NetworkAclEntryLimitExceeded") return { status: "full" };
        if (code !== "NetworkAclEntryAlreadyExists") throw error;
      }
      const existing = (await this.readEntries(request.naclId)).find(
        (rule) => rule.ruleNumber === request.ruleNumber,
      );
      if (existing)
        return sameDeny(existing, request) ? { status: "exists" } : { status: "conflict", existing };
    }
    throw new Error(
      `${request.naclId}: rule ${request.ruleNumber} is reported as taken but never shows up in DescribeNetworkAcls`,
    );
  }

  async removeEntry(naclId: string, ruleNumber: number): Promise<RemoveResult> {
    this.requireOwned(ruleNumber);
    try {
      await this.send(() =>
        this.client.send(
          new DeleteNetworkAclEntryCommand({ NetworkAclId: naclId, RuleNumber: ruleNumber, Egress: false }),
        ),
      );
      return { status: "removed" };
    } catch (error) {
      if (errorCode(error) === "InvalidNetworkAclEntry.NotFound") return { status: "absent" };
      throw error;
    }
  }

  private requireOwned(ruleNumber: number): void {
    if (!inRange(this.range, ruleNumber)) {
      throw new OutsideReservedRangeError(
        `rule ${ruleNumber} lies outside the reserved range ${this.range.first}-${this.range.last}; cloudjail never changes it`,
      );
    }
  }

  /** Sends one request (the SDK retries it), counting every attempt. */
  private send<T>(request: () => Promise<T>): Promise<T> {
    return countingAttempts(request, (attempts) => {
      this.stats.calls += attempts;
      this.stats.retries += attempts - 1;
    });
  }
}

function toCreateInput(request: DenyRequest) {
  const block =
    ipFamily(request.cidr.split("/")[0] ?? request.cidr) === "ipv4"
      ? { CidrBlock: request.cidr }
      : { Ipv6CidrBlock: request.cidr };
  return {
    NetworkAclId: request.naclId,
    RuleNumber: request.ruleNumber,
    Egress: false,
    RuleAction: "deny" as const,
    ...block,
    ...(request.portRange
      ? { Protocol: "6", PortRange: { From: request.portRange.from, To: request.portRange.to } }
      : { Protocol: "-1" }),
  };
}

/** Turns an SDK entry into the planning view. */
export function toRule(entry: NetworkAclEntry): NaclRule {
  return {
    ruleNumber: entry.RuleNumber ?? 0,
    egress: entry.Egress ?? false,
    action: entry.RuleAction === "allow" ? "allow" : "deny",
    cidr: entry.CidrBlock ?? entry.Ipv6CidrBlock ?? "",
    protocol: entry.Protocol ?? "-1",
    ...(entry.PortRange?.From !== undefined && entry.PortRange.To !== undefined
      ? { portRange: { from: entry.PortRange.From, to: entry.PortRange.To } }
      : {}),
  };
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
