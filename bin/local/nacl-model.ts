import type {
  CreateNetworkAclEntryRequest,
  DeleteNetworkAclEntryRequest,
  DescribeInstancesRequest,
  DescribeInstancesResult,
  DescribeNetworkAclsRequest,
  DescribeNetworkAclsResult,
  DescribeSubnetsRequest,
  DescribeSubnetsResult,
  DescribeVpcsRequest,
  DescribeVpcsResult,
  Filter,
  NetworkAcl,
  NetworkAclEntry,
  ReplaceNetworkAclEntryRequest,
} from "@aws-sdk/client-ec2";
import { cidrText, type IpFamily, parseCidr } from "../../lambda/core/ip";
import { Ec2ApiError } from "./ec2-api-error";
import { filtersMatch, paginate } from "./ec2-describe";
import { CallGate, EC2_ACTIONS, type Ec2Action } from "./ec2-faults";
import {
  countFamily,
  type EntryMap,
  entry,
  entryFamily,
  entryKey,
  entryNotFound,
  normalizeEntry,
  sortedEntries,
} from "./nacl-entry-rules";
import type {
  InstanceSpec,
  InstanceState,
  NaclModelOptions,
  NaclSpec,
  NaclState,
  SubnetSpec,
  SubnetState,
  VpcSpec,
  VpcState,
} from "./nacl-model-types";
import { associatedBlocks, describeVpc } from "./vpc-blocks";

/**
 * A stateful model of EC2 network ACLs that enforces the rules AWS enforces, so that tests (through
 * `test/support/ec2-nacl-mock.ts`) and the local demo (through `bin/local/ec2-endpoint.ts`) exercise the same
 * failure modes a real account gives: unique (rule number, direction), rule numbers 1-32766, a quota of entries
 * per NACL, direction and address family with the default `*` rule counted, the EC2 error codes, throttling and
 * stale reads on demand. It also models VPCs (with their CIDR blocks), subnets (one NACL each) and instances (one
 * subnet each).
 */

export type { Ec2Action } from "./ec2-faults";
export { EC2_ACTIONS } from "./ec2-faults";

/** EC2's instance state codes, by name. */
const INSTANCE_STATE_CODES = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
} as const;

/** Rule numbers AWS gives the `*` default deny entries in API answers (they cannot be changed or removed). */
export const DEFAULT_DENY_RULE = { ipv4: 32767, ipv6: 32768 } as const;

export { entryFamily } from "./nacl-entry-rules";
export type { InstanceSpec, NaclModelOptions, NaclSpec, SubnetSpec, VpcSpec } from "./nacl-model-types";

export class NaclModel {
  /** Entries per NACL, direction and address family, default rule included. */
  readonly quota: number;

  private readonly accountId: string;
  private readonly vpcs = new Map<string, VpcState>();
  private readonly nacls = new Map<string, NaclState>();
  private readonly subnets = new Map<string, SubnetState>();
  private readonly instances = new Map<string, InstanceState>();
  private nextId = 1;
  private readonly gate: CallGate;
  private staleLag = 0;
  private staleReadsLeft = 0;
  private staleSnapshot = new Map<string, EntryMap>();

  constructor(options: NaclModelOptions = {}) {
    this.quota = options.quota ?? 20;
    if (!Number.isInteger(this.quota) || this.quota < 1) throw new Error(`quota must be a positive integer`);
    this.accountId = options.accountId ?? "123456789012";
    this.gate = new CallGate(options.seed ?? 1);
  }

  // ---- topology (set-up, not API calls) ----

  /** Adds a VPC with its default NACL (100 allow all, `*` deny; 101 and `*` for IPv6 when it has an IPv6 block). */
  addVpc(spec: VpcSpec): string {
    const vpcId = spec.vpcId ?? this.newId("vpc");
    const defaultNaclId = this.newId("acl");
    const newAssociationId = () => this.newId("vpc-cidr-assoc");
    this.vpcs.set(vpcId, {
      vpcId,
      cidrBlocks: associatedBlocks([spec.cidrBlock, ...(spec.secondaryCidrBlocks ?? [])], newAssociationId),
      ipv6CidrBlocks: associatedBlocks(spec.ipv6CidrBlock ? [spec.ipv6CidrBlock] : [], newAssociationId),
      defaultNaclId,
    });
    const allowAll: NetworkAclEntry[] = [];
    for (const egress of [false, true]) {
      allowAll.push(entry(100, egress, "allow", { CidrBlock: "0.0.0.0/0" }));
      if (spec.ipv6CidrBlock) allowAll.push(entry(101, egress, "allow", { Ipv6CidrBlock: "::/0" }));
    }
    this.createNacl(defaultNaclId, vpcId, true, allowAll);
    return vpcId;
  }

  /** Disassociates a secondary IPv4 block or the IPv6 block: DescribeVpcs still lists it, as `disassociated`. */
  disassociateCidrBlock(vpcId: string, cidrBlock: string): void {
    const vpc = this.vpcOf(vpcId);
    const canonical = cidrText(parseCidr(cidrBlock));
    const block = [...vpc.cidrBlocks.slice(1), ...vpc.ipv6CidrBlocks].find((b) => b.cidrBlock === canonical);
    if (!block) throw new Error(`${vpcId} has no secondary or IPv6 block ${canonical}`);
    block.state = "disassociated";
  }

  /** Adds a custom NACL: AWS gives it only the `*` deny entries; `entries` are the user's own rules. */
  addNacl(spec: NaclSpec): string {
    this.vpcOf(spec.vpcId);
    const naclId = spec.naclId ?? this.newId("acl");
    if (this.nacls.has(naclId)) throw new Error(`NACL ${naclId} already exists`);
    this.createNacl(naclId, spec.vpcId, false, spec.entries ?? []);
    return naclId;
  }

  /** Adds a subnet, associated with `naclId` or with its VPC's default NACL. */
  addSubnet(spec: SubnetSpec): string {
    const vpc = this.vpcOf(spec.vpcId);
    const subnetId = spec.subnetId ?? this.newId("subnet");
    const naclId = spec.naclId ?? vpc.defaultNaclId;
    this.requireNaclInVpc(naclId, vpc.vpcId);
    this.subnets.set(subnetId, {
      subnetId,
      vpcId: vpc.vpcId,
      cidrBlock: spec.cidrBlock,
      availabilityZone: spec.availabilityZone ?? "us-east-1a",
      naclId,
      associationId: this.newId("aclassoc"),
    });
    return subnetId;
  }

  /** Moves a subnet to another NACL of its VPC (a subnet has exactly one NACL). */
  associate(subnetId: string, naclId: string): void {
    const subnet = this.subnets.get(subnetId);
    if (!subnet) throw new Error(`unknown subnet ${subnetId}`);
    this.requireNaclInVpc(naclId, subnet.vpcId);
    subnet.naclId = naclId;
    subnet.associationId = this.newId("aclassoc");
  }

  /** Adds an instance in a subnet. */
  addInstance(spec: InstanceSpec): string {
    const subnet = this.subnets.get(spec.subnetId);
    if (!subnet) throw new Error(`unknown subnet ${spec.subnetId}`);
    const instanceId = spec.instanceId ?? this.newId("i");
    const base = parseCidr(subnet.cidrBlock);
    const privateIpAddress =
      spec.privateIpAddress ?? cidrText(base).replace(/\.0\/\d+$/, `.${10 + this.instances.size}`);
    const { launchTime, instanceProfileArn, name, state } = spec;
    this.instances.set(instanceId, {
      instanceId,
      subnetId: subnet.subnetId,
      privateIpAddress,
      ...(launchTime ? { launchTime } : {}),
      ...(instanceProfileArn ? { instanceProfileArn } : {}),
      ...(name ? { name } : {}),
      ...(state ? { state } : {}),
    });
    return instanceId;
  }

  // ---- inspection (ground truth for assertions: not API calls, never throttled or stale) ----

  /** Every entry of a NACL, both directions, sorted by direction then rule number. */
  entriesOf(naclId: string): NetworkAclEntry[] {
    return sortedEntries(this.naclOf(naclId).entries);
  }

  /** Ingress (or egress) entries of one address family, default rule included: what the quota counts. */
  countEntries(naclId: string, egress: boolean, family: IpFamily): number {
    return countFamily(this.naclOf(naclId).entries, egress, family);
  }

  /** The default NACL AWS created with the VPC. */
  defaultNaclOf(vpcId: string): string {
    return this.vpcOf(vpcId).defaultNaclId;
  }

  /** Ids of every NACL, in creation order. */
  naclIds(): string[] {
    return [...this.nacls.keys()];
  }

  /** API calls received per action, throttled ones included. */
  get calls(): Readonly<Record<Ec2Action, number>> {
    return this.gate.calls;
  }

  /** How many calls were answered with `RequestLimitExceeded`. */
  get throttledCalls(): number {
    return this.gate.throttledCalls;
  }

  /** Total API calls received, throttled ones included. */
  totalCalls(): number {
    return EC2_ACTIONS.reduce((sum, action) => sum + this.calls[action], 0);
  }

  // ---- fault injection ----

  /** The next `count` calls (of `actions`, default all) fail with `RequestLimitExceeded`. */
  throttleNext(count: number, actions: readonly Ec2Action[] = EC2_ACTIONS): void {
    this.gate.throttleNext(count, actions);
  }

  /** Each call (of `actions`) fails with `RequestLimitExceeded` with this probability, drawn from the seeded RNG. */
  throttleRandomly(probability: number, actions: readonly Ec2Action[] = EC2_ACTIONS): void {
    this.gate.throttleRandomly(probability, actions);
  }

  /**
   * Eventual consistency: after each write, the next `reads` DescribeNetworkAcls calls still see the entries as
   * they were before the first write not yet visible. 0 (the default) turns it off.
   */
  staleDescribes(reads: number): void {
    this.staleLag = reads;
    this.staleReadsLeft = 0;
  }

  // ---- EC2 API ----

  createNetworkAclEntry(input: CreateNetworkAclEntryRequest): Record<string, never> {
    this.gate.admit("CreateNetworkAclEntry");
    const nacl = this.naclForWrite(input.NetworkAclId, input.RuleNumber);
    const stored = normalizeEntry(input);
    const key = entryKey(stored.Egress ?? false, stored.RuleNumber ?? 0);
    if (nacl.entries.has(key)) {
      throw new Ec2ApiError(
        "NetworkAclEntryAlreadyExists",
        `The network ACL entry identified by ${stored.RuleNumber} already exists.`,
      );
    }
    this.requireRoom(nacl, stored);
    this.beforeWrite();
    nacl.entries.set(key, stored);
    return {};
  }

  replaceNetworkAclEntry(input: ReplaceNetworkAclEntryRequest): Record<string, never> {
    this.gate.admit("ReplaceNetworkAclEntry");
    const nacl = this.naclForWrite(input.NetworkAclId, input.RuleNumber);
    const stored = normalizeEntry(input);
    const key = entryKey(stored.Egress ?? false, stored.RuleNumber ?? 0);
    const existing = nacl.entries.get(key);
    if (!existing) throw entryNotFound(nacl.naclId, stored.Egress ?? false, stored.RuleNumber ?? 0);
    if (entryFamily(existing) !== entryFamily(stored)) this.requireRoom(nacl, stored);
    this.beforeWrite();
    nacl.entries.set(key, stored);
    return {};
  }

  deleteNetworkAclEntry(input: DeleteNetworkAclEntryRequest): Record<string, never> {
    this.gate.admit("DeleteNetworkAclEntry");
    if (input.Egress === undefined)
      throw new Ec2ApiError("MissingParameter", "The request must contain the parameter egress");
    const nacl = this.naclForWrite(input.NetworkAclId, input.RuleNumber);
    const key = entryKey(input.Egress, input.RuleNumber ?? 0);
    if (!nacl.entries.has(key)) throw entryNotFound(nacl.naclId, input.Egress, input.RuleNumber ?? 0);
    this.beforeWrite();
    nacl.entries.delete(key);
    return {};
  }

  describeNetworkAcls(input: DescribeNetworkAclsRequest = {}): DescribeNetworkAclsResult {
    this.gate.admit("DescribeNetworkAcls");
    for (const naclId of input.NetworkAclIds ?? []) this.naclOf(naclId);
    const stale = this.staleReadsLeft > 0;
    if (stale) this.staleReadsLeft -= 1;
    const wanted = new Set(input.NetworkAclIds ?? []);
    const matching = [...this.nacls.values()].filter(
      (nacl) => (wanted.size === 0 || wanted.has(nacl.naclId)) && this.naclMatches(nacl, input.Filters ?? []),
    );
    const { page, nextToken } = paginate(matching, input.MaxResults, input.NextToken);
    return {
      NetworkAcls: page.map((nacl) =>
        this.describeNacl(nacl, stale ? this.staleSnapshot.get(nacl.naclId) : undefined),
      ),
      NextToken: nextToken,
    };
  }

  describeInstances(input: DescribeInstancesRequest = {}): DescribeInstancesResult {
    this.gate.admit("DescribeInstances");
    for (const instanceId of input.InstanceIds ?? []) {
      if (!this.instances.has(instanceId)) {
        throw new Ec2ApiError("InvalidInstanceID.NotFound", `The instance ID '${instanceId}' does not exist`);
      }
    }
    const wanted = new Set(input.InstanceIds ?? []);
    const matching = [...this.instances.values()].filter((instance) => {
      if (wanted.size > 0 && !wanted.has(instance.instanceId)) return false;
      const subnet = this.subnets.get(instance.subnetId);
      return filtersMatch(input.Filters ?? [], {
        "instance-id": [instance.instanceId],
        "subnet-id": [instance.subnetId],
        "vpc-id": [subnet?.vpcId ?? ""],
      });
    });
    const { page, nextToken } = paginate(matching, input.MaxResults, input.NextToken);
    return {
      Reservations: page.map((instance) => ({
        ReservationId: `r-${instance.instanceId.slice(2)}`,
        OwnerId: this.accountId,
        Instances: [
          {
            InstanceId: instance.instanceId,
            SubnetId: instance.subnetId,
            VpcId: this.subnets.get(instance.subnetId)?.vpcId,
            PrivateIpAddress: instance.privateIpAddress,
            State: {
              Code: INSTANCE_STATE_CODES[instance.state ?? "running"],
              Name: instance.state ?? "running",
            },
            ...(instance.launchTime ? { LaunchTime: instance.launchTime } : {}),
            ...(instance.instanceProfileArn
              ? { IamInstanceProfile: { Arn: instance.instanceProfileArn } }
              : {}),
            ...(instance.name ? { Tags: [{ Key: "Name", Value: instance.name }] } : {}),
          },
        ],
      })),
      NextToken: nextToken,
    };
  }

  describeSubnets(input: DescribeSubnetsRequest = {}): DescribeSubnetsResult {
    this.gate.admit("DescribeSubnets");
    for (const subnetId of input.SubnetIds ?? []) {
      if (!this.subnets.has(subnetId)) {
        throw new Ec2ApiError("InvalidSubnetID.NotFound", `The subnet ID '${subnetId}' does not exist`);
      }
    }
    const wanted = new Set(input.SubnetIds ?? []);
    const matching = [...this.subnets.values()].filter(
      (subnet) =>
        (wanted.size === 0 || wanted.has(subnet.subnetId)) &&
        filtersMatch(input.Filters ?? [], { "subnet-id": [subnet.subnetId], "vpc-id": [subnet.vpcId] }),
    );
    const { page, nextToken } = paginate(matching, input.MaxResults, input.NextToken);
    return {
      Subnets: page.map((subnet) => ({
        SubnetId: subnet.subnetId,
        VpcId: subnet.vpcId,
        CidrBlock: subnet.cidrBlock,
        AvailabilityZone: subnet.availabilityZone,
        State: "available",
        OwnerId: this.accountId,
      })),
      NextToken: nextToken,
    };
  }

  describeVpcs(input: DescribeVpcsRequest = {}): DescribeVpcsResult {
    this.gate.admit("DescribeVpcs");
    for (const vpcId of input.VpcIds ?? []) this.vpcOf(vpcId);
    const wanted = new Set(input.VpcIds ?? []);
    const matching = [...this.vpcs.values()].filter(
      (vpc) =>
        (wanted.size === 0 || wanted.has(vpc.vpcId)) &&
        filtersMatch(input.Filters ?? [], { "vpc-id": [vpc.vpcId] }),
    );
    const { page, nextToken } = paginate(matching, input.MaxResults, input.NextToken);
    return { Vpcs: page.map((vpc) => describeVpc(vpc, this.accountId)), NextToken: nextToken };
  }

  // ---- internals ----

  private naclForWrite(naclId: string | undefined, ruleNumber: number | undefined): NaclState {
    if (naclId === undefined)
      throw new Ec2ApiError("MissingParameter", "The request must contain the parameter networkAclId");
    if (ruleNumber === undefined)
      throw new Ec2ApiError("MissingParameter", "The request must contain the parameter ruleNumber");
    if (!Number.isInteger(ruleNumber) || ruleNumber < 1 || ruleNumber > 32766) {
      throw new Ec2ApiError(
        "InvalidParameterValue",
        `Invalid value '${ruleNumber}' for ruleNumber. It must be an integer from 1 to 32766.`,
      );
    }
    return this.naclOf(naclId);
  }

  private requireRoom(nacl: NaclState, stored: NetworkAclEntry): void {
    if (countFamily(nacl.entries, stored.Egress ?? false, entryFamily(stored)) >= this.quota) {
      throw new Ec2ApiError(
        "NetworkAclEntryLimitExceeded",
        "The maximum number of network ACL entries has been reached.",
      );
    }
  }

  /** Keeps the pre-write view for stale reads: the oldest write not yet visible decides what readers see. */
  private beforeWrite(): void {
    if (this.staleLag === 0) return;
    if (this.staleReadsLeft === 0) {
      this.staleSnapshot = new Map(
        [...this.nacls.values()].map((nacl) => [nacl.naclId, new Map(nacl.entries)]),
      );
    }
    this.staleReadsLeft = this.staleLag;
  }

  private naclMatches(nacl: NaclState, filters: readonly Filter[]): boolean {
    const subnetIds = [...this.subnets.values()]
      .filter((s) => s.naclId === nacl.naclId)
      .map((s) => s.subnetId);
    return filtersMatch(filters, {
      "vpc-id": [nacl.vpcId],
      "network-acl-id": [nacl.naclId],
      "association.subnet-id": subnetIds,
      default: [String(nacl.isDefault)],
    });
  }

  private describeNacl(nacl: NaclState, staleEntries: EntryMap | undefined): NetworkAcl {
    return {
      NetworkAclId: nacl.naclId,
      VpcId: nacl.vpcId,
      IsDefault: nacl.isDefault,
      OwnerId: this.accountId,
      Entries: sortedEntries(staleEntries ?? nacl.entries),
      Associations: [...this.subnets.values()]
        .filter((subnet) => subnet.naclId === nacl.naclId)
        .map((subnet) => ({
          NetworkAclAssociationId: subnet.associationId,
          NetworkAclId: nacl.naclId,
          SubnetId: subnet.subnetId,
        })),
      Tags: [],
    };
  }

  private createNacl(
    naclId: string,
    vpcId: string,
    isDefault: boolean,
    userEntries: readonly NetworkAclEntry[],
  ) {
    const vpc = this.vpcOf(vpcId);
    const entries: EntryMap = new Map();
    for (const egress of [false, true]) {
      entries.set(
        entryKey(egress, DEFAULT_DENY_RULE.ipv4),
        entry(DEFAULT_DENY_RULE.ipv4, egress, "deny", { CidrBlock: "0.0.0.0/0" }),
      );
      if (vpc.ipv6CidrBlocks.length > 0) {
        entries.set(
          entryKey(egress, DEFAULT_DENY_RULE.ipv6),
          entry(DEFAULT_DENY_RULE.ipv6, egress, "deny", { Ipv6CidrBlock: "::/0" }),
        );
      }
    }
    const nacl: NaclState = { naclId, vpcId, isDefault, entries };
    this.nacls.set(naclId, nacl);
    for (const userEntry of userEntries) {
      const stored = normalizeEntry(userEntry);
      this.naclForWrite(naclId, stored.RuleNumber);
      const key = entryKey(stored.Egress ?? false, stored.RuleNumber ?? 0);
      if (entries.has(key)) throw new Error(`${naclId} already has rule ${stored.RuleNumber}`);
      this.requireRoom(nacl, stored);
      entries.set(key, stored);
    }
  }

  private vpcOf(vpcId: string): VpcState {
    const vpc = this.vpcs.get(vpcId);
    if (!vpc) throw new Ec2ApiError("InvalidVpcID.NotFound", `The vpc ID '${vpcId}' does not exist`);
    return vpc;
  }

  private naclOf(naclId: string): NaclState {
    const nacl = this.nacls.get(naclId);
    if (!nacl)
      throw new Ec2ApiError("InvalidNetworkAclID.NotFound", `The networkAcl ID '${naclId}' does not exist`);
    return nacl;
  }

  private requireNaclInVpc(naclId: string, vpcId: string): void {
    if (this.naclOf(naclId).vpcId !== vpcId) throw new Error(`NACL ${naclId} is not in ${vpcId}`);
  }

  private newId(prefix: string): string {
    const id = `${prefix}-${(this.nextId++).toString(16).padStart(17, "0")}`;
    return id;
  }
}
