import { DescribeInstancesCommand, DescribeNetworkAclsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import type { NaclSettings } from "../core/types";
import { type RetryOptions, withRetries } from "./retry";

/** Which NACLs a ban goes into, and why. */
export interface NaclResolution {
  readonly naclIds: readonly string[];
  /**
   * `vpc`: every managed NACL (scope vpc). `subnet`: the attacked instance's subnet NACL. `fallback`: scope subnet,
   * but the log stream named no instance EC2 knows (not an instance id, or terminated): every managed NACL, so that
   * a ban is never dropped silently.
   */
  readonly basis: "vpc" | "subnet" | "fallback";
}

export interface NaclResolverOptions extends RetryOptions {
  readonly settings: Pick<NaclSettings, "scope" | "vpcIds" | "naclIds">;
  /** Epoch ms now; injected so tests control expiry. */
  readonly now: () => number;
  /** How long an answer is reused. @default 300_000 (5 minutes) */
  readonly ttlMs?: number;
}

interface Cached<T> {
  readonly value: T;
  readonly expiresAt: number;
}

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/**
 * Resolves ban targets with an injected `EC2Client`, caching answers for `ttlMs` (a warm Lambda reuses them, so a
 * burst costs no DescribeNetworkAcls call per ban). Scope `vpc`: all NACLs of the configured VPCs plus the explicit
 * NACL ids. Scope `subnet`: instance id (the log stream name) -> its subnet -> that subnet's NACL.
 */
export class NaclResolver {
  /** EC2 requests sent, retries included. */
  calls = 0;
  private managed: Cached<readonly string[]> | undefined;
  private readonly byInstance = new Map<string, Cached<string | undefined>>();
  private readonly ttlMs: number;

  constructor(
    private readonly client: EC2Client,
    private readonly options: NaclResolverOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 300_000;
  }

  /** NACLs a ban of an attack on `instanceId` (the log stream name) goes into. */
  async resolve(instanceId: string | undefined): Promise<NaclResolution> {
    if (this.options.settings.scope === "vpc") return { naclIds: await this.managedNacls(), basis: "vpc" };
    const naclId = instanceId !== undefined ? await this.naclOfInstance(instanceId) : undefined;
    if (naclId !== undefined) return { naclIds: [naclId], basis: "subnet" };
    return { naclIds: await this.managedNacls(), basis: "fallback" };
  }

  /** Every NACL cloudjail manages, whatever the scope: what the unbanner reconciles. Sorted, without duplicates. */
  async managedNacls(): Promise<readonly string[]> {
    if (this.managed && this.managed.expiresAt > this.options.now()) return this.managed.value;
    const ids = new Set(this.options.settings.naclIds ?? []);
    if (this.options.settings.vpcIds.length > 0) {
      let nextToken: string | undefined;
      do {
        const token = nextToken;
        const page = await this.send(() =>
          this.client.send(
            new DescribeNetworkAclsCommand({
              Filters: [{ Name: "vpc-id", Values: [...this.options.settings.vpcIds] }],
              NextToken: token,
            }),
          ),
        );
        for (const nacl of page.NetworkAcls ?? []) if (nacl.NetworkAclId) ids.add(nacl.NetworkAclId);
        nextToken = page.NextToken;
      } while (nextToken);
    }
    const value = [...ids].sort();
    this.managed = { value, expiresAt: this.options.now() + this.ttlMs };
    return value;
  }

  /** The NACL of the instance's subnet, or undefined when EC2 does not know the instance. */
  private async naclOfInstance(instanceId: string): Promise<string | undefined> {
    const cached = this.byInstance.get(instanceId);
    if (cached && cached.expiresAt > this.options.now()) return cached.value;
    const value = INSTANCE_ID.test(instanceId) ? await this.lookUp(instanceId) : undefined;
    this.byInstance.set(instanceId, { value, expiresAt: this.options.now() + this.ttlMs });
    return value;
  }

  private async lookUp(instanceId: string): Promise<string | undefined> {
    let subnetId: string | undefined;
    try {
      const answer = await this.send(() =>
        this.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })),
      );
      subnetId = answer.Reservations?.[0]?.Instances?.[0]?.SubnetId;
    } catch (error) {
      if (error instanceof Error && error.name === "InvalidInstanceID.NotFound") return undefined;
      throw error;
    }
    if (subnetId === undefined) return undefined;
    const sid = subnetId;
    const nacls = await this.send(() =>
      this.client.send(
        new DescribeNetworkAclsCommand({ Filters: [{ Name: "association.subnet-id", Values: [sid] }] }),
      ),
    );
    return nacls.NetworkAcls?.[0]?.NetworkAclId;
  }

  private send<T>(request: () => Promise<T>): Promise<T> {
    return withRetries(() => {
      this.calls += 1;
      return request();
    }, this.options);
  }
}
