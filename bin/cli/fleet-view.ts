import type { FleetInstance } from "../../lambda/aws/fleet-instances";
import { formatDuration } from "../../lambda/core/duration";
import { isSilent, type ShippingState, shippingState } from "../../lambda/core/fleet-silence";
import type { AgentAssociation, ManagedInstance } from "./fleet-ssm";
import { formatTable, formatTime } from "./table-format";

/**
 * What `cloudjail fleet` shows of each protected instance, and why one does not ship: pure, from what EC2, SSM and
 * CloudWatch Logs told. Whether an instance is silent is lambda/core/fleet-silence.ts's decision, the one the
 * fleet watcher's alarm counts.
 */

/** One protected instance as the fleet view shows it. Times in epoch ms. */
export interface FleetRow {
  readonly instanceId: string;
  readonly name?: string;
  readonly state: string;
  readonly subnetId?: string;
  /** The NACL that guards its subnet. */
  readonly naclId?: string;
  /** SSM's ping status, or undefined when SSM does not manage the instance. */
  readonly ssm?: string;
  readonly association?: AgentAssociation;
  readonly lastEventAt?: number;
  readonly shipping: ShippingState;
  /** For an instance that does not ship: the likeliest cause, and what to do. */
  readonly cause?: string;
}

/** What the view is built from. */
export interface FleetFacts {
  readonly instances: readonly FleetInstance[];
  readonly lastEvents: ReadonlyMap<string, number>;
  readonly managed: ReadonlyMap<string, ManagedInstance>;
  readonly associations: ReadonlyMap<string, AgentAssociation>;
  readonly naclBySubnet: ReadonlyMap<string, string>;
}

/** One row per instance, in instance-id order. */
export function fleetRows(facts: FleetFacts, now: number, silentAfterSeconds: number): FleetRow[] {
  return facts.instances.map((instance) => {
    const lastEventAt = facts.lastEvents.get(instance.instanceId);
    const shipping = shippingState(
      { ...instance, ...(lastEventAt !== undefined ? { lastEventAt } : {}) },
      now,
      silentAfterSeconds,
    );
    const managed = facts.managed.get(instance.instanceId);
    const association = facts.associations.get(instance.instanceId);
    const naclId = instance.subnetId === undefined ? undefined : facts.naclBySubnet.get(instance.subnetId);
    const row = {
      instanceId: instance.instanceId,
      ...(instance.name ? { name: instance.name } : {}),
      state: instance.state,
      ...(instance.subnetId ? { subnetId: instance.subnetId } : {}),
      ...(naclId ? { naclId } : {}),
      ...(managed ? { ssm: managed.pingStatus ?? "managed" } : {}),
      ...(association ? { association } : {}),
      ...(lastEventAt !== undefined ? { lastEventAt } : {}),
      shipping,
    };
    const cause =
      shipping === "shipping" || shipping === "not-running"
        ? undefined
        : causeOf(instance, managed, association);
    return cause === undefined ? row : { ...row, cause };
  });
}

/** The first thing in the chain instance profile -> SSM agent -> association -> CloudWatch agent that is missing. */
function causeOf(
  instance: FleetInstance,
  managed: ManagedInstance | undefined,
  association: AgentAssociation | undefined,
): string {
  if (instance.instanceProfileArn === undefined) {
    return "no instance profile: attach a role with AmazonSSMManagedInstanceCore and cloudjail's log-shipping rights";
  }
  if (managed === undefined)
    return "SSM does not manage it: is its SSM agent installed, running, and able to reach SSM?";
  if (managed.pingStatus !== undefined && managed.pingStatus !== "Online") {
    return `its SSM agent is ${managed.pingStatus}: check the agent and the instance's route to SSM`;
  }
  if (association === undefined) {
    return "no CloudWatch agent association has run on it: check the association's targets in State Manager";
  }
  if (association.status === "Failed")
    return `the agent association failed: ${association.detail ?? "see State Manager"}`;
  if (association.status === "Pending") return "the agent association has not run yet";
  return "the agent is installed but ships nothing: check its status (amazon-cloudwatch-agent-ctl -a status) and log";
}

const SHIPPING_TEXT: Readonly<Record<ShippingState, string>> = {
  shipping: "ok",
  silent: "SILENT",
  "never-shipped": "NEVER SHIPPED",
  starting: "starting",
  "not-running": "-",
};

/** The table, then a summary that names every silent instance with its cause. */
export function formatFleet(rows: readonly FleetRow[], now: number, silentAfterSeconds: number): string {
  const table = formatTable(
    [
      { heading: "" },
      { heading: "Instance" },
      { heading: "Name" },
      { heading: "State" },
      { heading: "Subnet" },
      { heading: "NACL" },
      { heading: "SSM" },
      { heading: "Agent association" },
      { heading: "Last auth event" },
      { heading: "Shipping" },
    ],
    rows.map((row) => [
      isSilent(row.shipping) ? "!" : "",
      row.instanceId,
      row.name ?? "-",
      row.state,
      row.subnetId ?? "-",
      row.naclId ?? "-",
      row.ssm ?? "not managed",
      row.association ? `${row.association.status} ${formatTime(row.association.ranAt)}`.trim() : "-",
      row.lastEventAt === undefined ? "never" : `${age(now - row.lastEventAt)} ago`,
      SHIPPING_TEXT[row.shipping],
    ]),
    "no EC2 instance in the protected network",
  );
  const running = rows.filter((row) => row.state === "running");
  const silent = rows.filter((row) => isSilent(row.shipping));
  const shipping = rows.filter((row) => row.shipping === "shipping").length;
  const lines = [
    `${running.length} running, ${shipping} shipping, ${silent.length} silent for more than ${formatDuration(silentAfterSeconds)}` +
      (silent.length > 0 ? ":" : ""),
    ...silent.map((row) => `  ! ${row.instanceId}${row.name ? ` (${row.name})` : ""}: ${row.cause ?? ""}`),
    ...rows
      .filter((row) => row.shipping === "starting")
      .map(
        (row) =>
          `    ${row.instanceId}${row.name ? ` (${row.name})` : ""} started recently and has shipped nothing yet: ${row.cause ?? ""}`,
      ),
  ];
  return `${table}\n${lines.join("\n")}\n`;
}

/** The JSON form: the rows with ISO times, and the summary's numbers. */
export function fleetJson(rows: readonly FleetRow[], silentAfterSeconds: number) {
  const iso = (epochMs: number | undefined) =>
    epochMs === undefined ? null : new Date(epochMs).toISOString();
  return {
    silentAfterSeconds,
    running: rows.filter((row) => row.state === "running").length,
    silent: rows.filter((row) => isSilent(row.shipping)).map((row) => row.instanceId),
    instances: rows.map((row) => ({
      ...row,
      ssm: row.ssm ?? null,
      lastEventAt: iso(row.lastEventAt),
      association: row.association ? { ...row.association, ranAt: iso(row.association.ranAt) } : null,
    })),
  };
}

/** `45s`, `45m`, `3h10m`, `20d4h`: an age at a glance (days rather than weeks, no seconds beyond a minute). */
function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 86_400) return formatDuration(Math.floor(seconds / 60) * 60);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  return `${Math.floor(seconds / 86_400)}d${hours > 0 ? `${hours}h` : ""}`;
}
