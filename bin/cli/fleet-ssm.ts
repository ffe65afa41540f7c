import {
  DescribeInstanceAssociationsStatusCommand,
  paginateDescribeInstanceInformation,
  type SSMClient,
} from "@aws-sdk/client-ssm";

/**
 * What Systems Manager knows of the fleet, for `cloudjail fleet`: which instances it manages (an SSM agent with an
 * instance profile that reaches it), and how the associations that install and configure the CloudWatch agent last
 * ran on each. Read-only: DescribeInstanceInformation and DescribeInstanceAssociationsStatus.
 */

/** The SSM documents the agent's associations run (issue 14's onboarding), recognised when the stack names none. */
export const AGENT_DOCUMENTS = ["AWS-ConfigureAWSPackage", "AmazonCloudWatch-ManageAgent"] as const;

/** One managed instance. */
export interface ManagedInstance {
  /** Online, ConnectionLost, Inactive. */
  readonly pingStatus?: string;
  readonly agentVersion?: string;
  readonly platform?: string;
}

/** The agent associations' last run on one instance. */
export interface AgentAssociation {
  /** Failed if one failed, Pending if one is pending, else Success. */
  readonly status: string;
  /** Epoch ms of the newest run. */
  readonly ranAt?: number;
  /** The failed association's document and detail. */
  readonly detail?: string;
}

/** DescribeInstanceInformation takes at most 50 instance ids a filter. */
const IDS_PER_FILTER = 50;
/** Calls in flight at once: SSM's Describe* quotas are a few per second. */
const PARALLEL = 4;

/** Instance id -> what SSM says of it, for those of `instanceIds` that SSM manages. */
export async function managedInstances(
  ssm: SSMClient,
  instanceIds: readonly string[],
): Promise<Map<string, ManagedInstance>> {
  const managed = new Map<string, ManagedInstance>();
  for (let start = 0; start < instanceIds.length; start += IDS_PER_FILTER) {
    const ids = instanceIds.slice(start, start + IDS_PER_FILTER);
    const pages = paginateDescribeInstanceInformation(
      { client: ssm },
      { Filters: [{ Key: "InstanceIds", Values: ids }] },
    );
    for await (const page of pages) {
      for (const info of page.InstanceInformationList ?? []) {
        if (info.InstanceId === undefined) continue;
        managed.set(info.InstanceId, {
          ...(info.PingStatus ? { pingStatus: info.PingStatus } : {}),
          ...(info.AgentVersion ? { agentVersion: info.AgentVersion } : {}),
          ...(info.PlatformName
            ? { platform: `${info.PlatformName} ${info.PlatformVersion ?? ""}`.trim() }
            : {}),
        });
      }
    }
  }
  return managed;
}

/**
 * Instance id -> the last run of its agent associations: those the stack created (by association id) when it
 * names any, else those running the agent's documents. An instance with none is left out.
 */
export async function agentAssociations(
  ssm: SSMClient,
  instanceIds: readonly string[],
  associationIds: readonly string[],
): Promise<Map<string, AgentAssociation>> {
  const result = new Map<string, AgentAssociation>();
  const queue = [...instanceIds];
  const worker = async () => {
    for (let instanceId = queue.shift(); instanceId !== undefined; instanceId = queue.shift()) {
      const statuses = [];
      let nextToken: string | undefined;
      do {
        const page = await ssm.send(
          new DescribeInstanceAssociationsStatusCommand({
            InstanceId: instanceId,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
        statuses.push(...(page.InstanceAssociationStatusInfos ?? []));
        nextToken = page.NextToken;
      } while (nextToken);
      const agent = statuses.filter((status) =>
        associationIds.length > 0
          ? associationIds.includes(status.AssociationId ?? "")
          : (AGENT_DOCUMENTS as readonly string[]).includes(status.Name ?? ""),
      );
      if (agent.length === 0) continue;
      const failed = agent.find((status) => status.Status === "Failed");
      const pending = agent.some((status) => status.Status === "Pending");
      const ranAt = Math.max(
        ...agent.map((status) => status.ExecutionDate?.getTime() ?? Number.NEGATIVE_INFINITY),
      );
      result.set(instanceId, {
        status: failed ? "Failed" : pending ? "Pending" : "Success",
        ...(Number.isFinite(ranAt) ? { ranAt } : {}),
        ...(failed
          ? {
              detail: `${failed.Name ?? failed.AssociationId}: ${failed.DetailedStatus ?? failed.ErrorCode ?? "failed"}`,
            }
          : {}),
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
  return result;
}
