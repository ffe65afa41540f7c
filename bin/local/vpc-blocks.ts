import type { Vpc } from "@aws-sdk/client-ec2";
import { cidrText, parseCidr } from "../../lambda/core/ip";

/** A CIDR block of a VPC as the local model keeps it, with the association state EC2 reports. */
export interface VpcCidrAssociation {
  readonly associationId: string;
  /** Canonical network address form. */
  readonly cidrBlock: string;
  state: "associated" | "disassociated";
}

/** The block list of a new VPC: canonical CIDRs, every one associated. */
export function associatedBlocks(
  cidrBlocks: readonly string[],
  newAssociationId: () => string,
): VpcCidrAssociation[] {
  return cidrBlocks.map((cidrBlock) => ({
    associationId: newAssociationId(),
    cidrBlock: cidrText(parseCidr(cidrBlock)),
    state: "associated",
  }));
}

/** A VPC as DescribeVpcs shows it: the primary IPv4 block, and every association with its state. */
export function describeVpc(
  vpc: {
    readonly vpcId: string;
    readonly cidrBlocks: readonly VpcCidrAssociation[];
    readonly ipv6CidrBlocks: readonly VpcCidrAssociation[];
  },
  ownerId: string,
): Vpc {
  return {
    VpcId: vpc.vpcId,
    OwnerId: ownerId,
    State: "available",
    CidrBlock: vpc.cidrBlocks[0]?.cidrBlock,
    CidrBlockAssociationSet: vpc.cidrBlocks.map((block) => ({
      AssociationId: block.associationId,
      CidrBlock: block.cidrBlock,
      CidrBlockState: { State: block.state },
    })),
    Ipv6CidrBlockAssociationSet: vpc.ipv6CidrBlocks.map((block) => ({
      AssociationId: block.associationId,
      Ipv6CidrBlock: block.cidrBlock,
      Ipv6CidrBlockState: { State: block.state },
    })),
  };
}
