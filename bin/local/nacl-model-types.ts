import type { NetworkAclEntry } from "@aws-sdk/client-ec2";
import type { EntryMap } from "./nacl-entry-rules";
import type { VpcCidrAssociation } from "./vpc-blocks";

/** Options, topology specs and internal state of the local NACL model (`bin/local/nacl-model.ts`). */

export interface NaclModelOptions {
  /**
   * Entries allowed per NACL, per direction, per address family, the default `*` deny entry included
   * (AWS: 20 by default, 40 at most).
   * @default 20
   */
  readonly quota?: number;
  /** Seed of the random generator behind probabilistic throttling. @default 1 */
  readonly seed?: number;
  /** Account id reported as `OwnerId`. @default "123456789012" */
  readonly accountId?: string;
}

export interface VpcSpec {
  readonly vpcId?: string;
  readonly cidrBlock: string;
  /** When set, default NACLs also get the IPv6 allow (101) and `*` deny entries, as AWS adds them. */
  readonly ipv6CidrBlock?: string;
  /** IPv4 blocks associated after the primary one (`AssociateVpcCidrBlock`). @default none */
  readonly secondaryCidrBlocks?: readonly string[];
}

export interface NaclSpec {
  readonly naclId?: string;
  readonly vpcId: string;
  /** User entries present before cloudjail runs (validated like API calls, but not counted or throttled). */
  readonly entries?: readonly NetworkAclEntry[];
}

export interface SubnetSpec {
  readonly subnetId?: string;
  readonly vpcId: string;
  readonly cidrBlock: string;
  /** The subnet's NACL. @default the VPC's default NACL */
  readonly naclId?: string;
  /** @default "us-east-1a" */
  readonly availabilityZone?: string;
}

export interface InstanceSpec {
  readonly instanceId?: string;
  readonly subnetId: string;
  readonly privateIpAddress?: string;
  /** EC2's `LaunchTime` (the last start), as the fleet view reads it. @default none reported */
  readonly launchTime?: Date;
  /** The instance profile's ARN. @default none */
  readonly instanceProfileArn?: string;
  /** The `Name` tag. @default none */
  readonly name?: string;
  /** EC2's state name. @default "running" */
  readonly state?: "pending" | "running" | "stopping" | "stopped" | "shutting-down" | "terminated";
}

export interface VpcState {
  readonly vpcId: string;
  /** The primary block first. */
  readonly cidrBlocks: readonly VpcCidrAssociation[];
  readonly ipv6CidrBlocks: readonly VpcCidrAssociation[];
  readonly defaultNaclId: string;
}

export interface NaclState {
  readonly naclId: string;
  readonly vpcId: string;
  readonly isDefault: boolean;
  /** Keyed by `entryKey(egress, ruleNumber)`. */
  entries: EntryMap;
}

export interface SubnetState {
  readonly subnetId: string;
  readonly vpcId: string;
  readonly cidrBlock: string;
  readonly availabilityZone: string;
  naclId: string;
  associationId: string;
}

export interface InstanceState {
  readonly instanceId: string;
  readonly subnetId: string;
  readonly privateIpAddress: string;
  readonly launchTime?: Date;
  readonly instanceProfileArn?: string;
  readonly name?: string;
  readonly state?: InstanceSpec["state"];
}
