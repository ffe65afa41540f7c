import {
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  type Vpc,
} from "@aws-sdk/client-ec2";
import { cidrText, parseCidr } from "../core/ip";
import type { NaclSettings } from "../core/types";
import { countingAttempts } from "./sdk-retry";

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

export interface NaclResolverOptions {
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

/** What one look-up of the managed NACLs found. */
interface ManagedNacls {
  /** Sorted, without duplicates. */
  readonly naclIds: readonly string[];
  /** The NACLs EC2 listed in the configured VPCs: an explicit NACL id among them needs no look-up of its VPC. */
  readonly inConfiguredVpcs: ReadonlySet<string>;
}

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/**
 * Resolves ban targets with an injected `EC2Client`, caching answers for `ttlMs` (a warm Lambda reuses them, so a
 * burst costs no DescribeNetworkAcls call per ban). Scope `vpc`: all NACLs of the configured VPCs plus the explicit
 * NACL ids. Scope `subnet`: instance id (the log stream name) -> its subnet -> that subnet's NACL. Also finds the
 * CIDR blocks of the VPCs it protects, which aggregation keeps covering entries clear of.
 */
export class NaclResolver {
  /** EC2 requests sent, the SDK's retries included. */
  calls = 0;
  private managed: Cached<ManagedNacls> | undefined;
  private vpcBlocks: Cached<readonly string[]> | undefined;
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
    return (await this.lookUpManaged()).naclIds;
  }

  /**
   * The IPv4 and IPv6 blocks (associated ones only) of every VPC whose NACLs cloudjail manages: the configured
   * VPCs and the VPCs of the explicit NACL ids. Canonical, sorted, without duplicates. EC2 errors propagate once
   * the retries are spent: a caller must not go on as if the VPCs had no blocks.
   */
  async vpcCidrs(): Promise<readonly string[]> {
    if (this.vpcBlocks && this.vpcBlocks.expiresAt > this.options.now()) return this.vpcBlocks.value;
    const vpcIds = new Set([...this.options.settings.vpcIds, ...(await this.vpcsOfOtherNacls())]);
    const blocks = new Set<string>();
    if (vpcIds.size > 0) {
      for await (const page of this.pages((NextToken) =>
        this.client.send(new DescribeVpcsCommand({ VpcIds: [...vpcIds], NextToken })),
      )) {
        for (const vpc of page.Vpcs ?? []) {
          for (const block of associatedBlocks(vpc)) blocks.add(cidrText(parseCidr(block)));
        }
      }
    }
    const value = [...blocks].sort();
    this.vpcBlocks = { value, expiresAt: this.options.now() + this.ttlMs };
    return value;
  }

  /** VPCs of the explicit NACL ids EC2 did not list in a configured VPC (those need no look-up of their own). */
  private async vpcsOfOtherNacls(): Promise<string[]> {
    const { inConfiguredVpcs } = await this.lookUpManaged();
    const others = (this.options.settings.naclIds ?? []).filter((id) => !inConfiguredVpcs.has(id));
    const vpcIds: string[] = [];
    if (others.length === 0) return vpcIds;
    for await (const page of this.pages((NextToken) =>
      this.client.send(new DescribeNetworkAclsCommand({ NetworkAclIds: others, NextToken })),
    )) {
      for (const nacl of page.NetworkAcls ?? []) if (nacl.VpcId) vpcIds.push(nacl.VpcId);
    }
    return vpcIds;
  }

  /** The configured VPCs' NACLs (one paginated DescribeNetworkAcls, none without VPC ids) plus the explicit ids. */
  private async lookUpManaged(): Promise<ManagedNacls> {
    if (this.managed && this.managed.expiresAt > this.options.now()) return this.managed.value;
    const inConfiguredVpcs = new Set<string>();
    const vpcIds = this.options.settings.vpcIds;
    if (vpcIds.length > 0) {
      for await (const page of this.pages((NextToken) =>
        this.client.send(
          new DescribeNetworkAclsCommand({ Filters: [{ Name: "vpc-id", Values: [...vpcIds] }], NextToken }),
        ),
      )) {
        for (const nacl of page.NetworkAcls ?? [])
          if (nacl.NetworkAclId) inConfiguredVpcs.add(nacl.NetworkAclId);
      }
    }
    const naclIds = [...new Set([...(this.options.settings.naclIds ?? []), ...inConfiguredVpcs])].sort();
    const value = { naclIds, inConfiguredVpcs };
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

  /** Every page of a paginated Describe*, each request retried on its own. */
  private async *pages<T extends { NextToken?: string }>(
    request: (nextToken: string | undefined) => Promise<T>,
  ): AsyncGenerator<T> {
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.send(() => request(token));
      yield page;
      nextToken = page.NextToken;
    } while (nextToken);
  }

  /** Sends one request (the client retries it: SDK_RETRY), counting every attempt. */
  private send<T>(request: () => Promise<T>): Promise<T> {
    return countingAttempts(request, (attempts) => {
      this.calls += attempts;
    });
  }
}

/** A VPC's IPv4 and IPv6 blocks in state `associated`: a disassociated block no longer holds the VPC's addresses. */
function associatedBlocks(vpc: Vpc): string[] {
  const ipv4 = (vpc.CidrBlockAssociationSet ?? [])
    .filter((block) => block.CidrBlockState?.State === "associated")
    .map((block) => block.CidrBlock);
  const ipv6 = (vpc.Ipv6CidrBlockAssociationSet ?? [])
    .filter((block) => block.Ipv6CidrBlockState?.State === "associated")
    .map((block) => block.Ipv6CidrBlock);
  return [...ipv4, ...ipv6].filter((block): block is string => block !== undefined);
}
