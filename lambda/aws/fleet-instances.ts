import {
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  type EC2Client,
  type Filter,
  type Instance,
} from "@aws-sdk/client-ec2";
import type { NaclSettings } from "../core/types";

/** One EC2 instance of the protected network, as the fleet view and the fleet watcher read it. */
export interface FleetInstance {
  readonly instanceId: string;
  /** EC2's state name (running, stopped, ...). */
  readonly state: string;
  /** Epoch ms of EC2's LaunchTime (the last start). */
  readonly launchedAt?: number;
  readonly vpcId?: string;
  readonly subnetId?: string;
  /** The `Name` tag. */
  readonly name?: string;
  /** The instance profile's ARN: none means the SSM and CloudWatch agents have no credentials. */
  readonly instanceProfileArn?: string;
}

/** EC2 accepts at most 200 values per filter. */
const FILTER_VALUES = 200;

/**
 * Lists the instances cloudjail protects, with an injected `EC2Client`: those of the protected VPCs, and those in
 * the subnets that the explicitly named NACLs guard. Also maps each of those subnets to the NACL that guards it
 * (a subnet has exactly one). Read-only: DescribeInstances and DescribeNetworkAcls, retried by the client (SDK_RETRY).
 */
export class FleetInstances {
  constructor(
    private readonly client: EC2Client,
    private readonly settings: Pick<NaclSettings, "vpcIds" | "naclIds">,
  ) {}

  /** The protected instances, by id, sorted. */
  async list(): Promise<FleetInstance[]> {
    const found = new Map<string, FleetInstance>();
    const add = (instance: Instance) => {
      if (instance.InstanceId !== undefined) found.set(instance.InstanceId, view(instance));
    };
    for (const vpcIds of chunks(this.settings.vpcIds)) {
      await this.describeInstances([{ Name: "vpc-id", Values: vpcIds }], add);
    }
    const guarded = [...(await this.subnetsOfNamedNacls()).keys()];
    for (const subnetIds of chunks(guarded)) {
      await this.describeInstances([{ Name: "subnet-id", Values: subnetIds }], add);
    }
    return [...found.values()].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }

  /** Subnet id -> the id of the NACL that guards it, for every subnet of the protected network. */
  async naclBySubnet(): Promise<Map<string, string>> {
    const bySubnet = await this.subnetsOfNamedNacls();
    for (const vpcIds of chunks(this.settings.vpcIds)) {
      await this.describeNacls({ Filters: [{ Name: "vpc-id", Values: vpcIds }] }, bySubnet);
    }
    return bySubnet;
  }

  private async subnetsOfNamedNacls(): Promise<Map<string, string>> {
    const bySubnet = new Map<string, string>();
    const naclIds = this.settings.naclIds ?? [];
    for (const ids of chunks(naclIds)) await this.describeNacls({ NetworkAclIds: ids }, bySubnet);
    return bySubnet;
  }

  private async describeNacls(
    request: { Filters?: Filter[]; NetworkAclIds?: string[] },
    bySubnet: Map<string, string>,
  ): Promise<void> {
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.client.send(new DescribeNetworkAclsCommand({ ...request, NextToken: token }));
      for (const nacl of page.NetworkAcls ?? []) {
        for (const association of nacl.Associations ?? []) {
          if (association.SubnetId && nacl.NetworkAclId)
            bySubnet.set(association.SubnetId, nacl.NetworkAclId);
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }

  private async describeInstances(filters: Filter[], add: (instance: Instance) => void): Promise<void> {
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.client.send(
        new DescribeInstancesCommand({ Filters: filters, MaxResults: 1000, NextToken: token }),
      );
      for (const reservation of page.Reservations ?? [])
        for (const instance of reservation.Instances ?? []) add(instance);
      nextToken = page.NextToken;
    } while (nextToken);
  }
}

function view(instance: Instance): FleetInstance {
  const name = instance.Tags?.find((tag) => tag.Key === "Name")?.Value;
  return {
    instanceId: instance.InstanceId ?? "",
    state: instance.State?.Name ?? "unknown",
    ...(instance.LaunchTime ? { launchedAt: instance.LaunchTime.getTime() } : {}),
    ...(instance.VpcId ? { vpcId: instance.VpcId } : {}),
    ...(instance.SubnetId ? { subnetId: instance.SubnetId } : {}),
    ...(name ? { name } : {}),
    ...(instance.IamInstanceProfile?.Arn ? { instanceProfileArn: instance.IamInstanceProfile.Arn } : {}),
  };
}

function chunks(values: readonly string[]): string[][] {
  const result: string[][] = [];
  for (let start = 0; start < values.length; start += FILTER_VALUES) {
    result.push(values.slice(start, start + FILTER_VALUES));
  }
  return result;
}
