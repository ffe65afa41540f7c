import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { hasEnded } from "../aws/ban-service";
import type { OrgLedger } from "../aws/org-ledger";
import { type OrgEventSink, orgEventOfNotice } from "../aws/org-publisher";
import type { IpRecord } from "../aws/store-items";
import { denyPortRange } from "../core/nacl-plan";
import { activeOrgBan, type FoldOutcome, type OrgBanState } from "../core/org-ban-state";
import {
  type LocalBanView,
  memberProtection,
  type OrgEnforcement,
  planOrgEnforcement,
} from "../core/org-enforcement";
import { isOrgJail, ORG_JAIL_PREFIX, type OrgEvent, type OrgOrigin, originKey } from "../core/org-event";
import { ORG_METRIC } from "../core/org-telemetry";
import { aggregate } from "./aggregate";
import { mapSettled } from "./map-settled";
import { holdInOverflow } from "./overflow";
import type { Runtime } from "./runtime";

/**
 * A member's side of organization bans (issue 16): its enforcer applies the events the central bus fans out, and
 * its unbanner catches up with the central ledger. Both go the same way for one address: fold what is known into
 * the member's own ledger (org-ledger.ts, in its own table), then make the NACLs agree with the merged state
 * through the one ban path (BanService: its own slot leases, the allocator, overflow), never banning what the
 * member's ignoreip, allowlist or protected CIDRs hold, never lifting a ban its own jails decided.
 */

/** What the organization path needs beside the runtime. */
export interface OrgMember {
  /** The member's own ledger (in its cloudjail table). */
  readonly ledger: OrgLedger;
  /** The central ledger; undefined leaves the catch-up out (a single-account test). */
  readonly central?: OrgLedger;
  /** The operator's allowlist, when the stack has one: true protects the address like ignoreip. */
  readonly allowlisted?: (ip: string) => Promise<boolean>;
  /**
   * This account as an origin, and where it publishes: the catch-up publishes again each ban of a shared jail that
   * the central ledger does not hold (the publish after the ban failed, or the account died between the two).
   */
  readonly publishing?: { readonly origin: OrgOrigin; readonly sink: OrgEventSink };
}

/** What one enforcer invocation or catch-up did. */
export interface OrgApplySummary {
  readonly outcomes: Readonly<Record<FoldOutcome, number>>;
  readonly imposed: readonly string[];
  readonly lifted: readonly string[];
  readonly rescheduled: readonly string[];
  /** Addresses the member's own configuration protects: not banned here. */
  readonly refused: readonly string[];
  /** Bans of this account's shared jails published again because the central ledger lacked them. */
  readonly republished: readonly string[];
}

const CONCURRENCY = 8;

/**
 * The member enforcer: folds each event into the member's ledger, then converges the address. A duplicate or a
 * stale event still converges (so that a retry after a crash between the two steps completes the first attempt),
 * which changes nothing when the first attempt had finished. Throws after trying every event when one failed:
 * the delivery is retried, and the unbanner's catch-up repairs what retries do not.
 */
export async function applyOrgEvents(
  runtime: Runtime,
  member: OrgMember,
  events: readonly OrgEvent[],
  now: number,
): Promise<OrgApplySummary> {
  const summary = newSummary();
  const byIp = new Map<string, OrgEvent[]>();
  for (const event of events) byIp.set(event.ip, [...(byIp.get(event.ip) ?? []), event]);
  // One address at a time per batch: its events fold in order of arrival, and its NACL work runs once.
  const results = await mapSettled([...byIp], CONCURRENCY, async ([ip, ofIp]) => {
    let state: OrgBanState | undefined;
    for (const event of ofIp) {
      const folded = await member.ledger.fold(event, now);
      summary.outcomes[folded.outcome]++;
      state = folded.state;
    }
    const record = await runtime.store.getRecord(ip);
    await converge(runtime, member, ip, state, record, now, summary);
  });
  runtime.metrics.addMetric(ORG_METRIC.events, MetricUnit.Count, events.length);
  runtime.metrics.addMetric(
    ORG_METRIC.ignored,
    MetricUnit.Count,
    summary.outcomes.duplicate + summary.outcomes.stale,
  );
  await finish(runtime, summary, now);
  const failed = results.find((result) => result.status === "rejected");
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  return summary;
}

/**
 * The unbanner's catch-up: every address the central ledger lists in force, and every organization ban the member
 * holds or its ledger lists, is merged with the central state and converged. A member whose enforcer was failing
 * or whose region was down for a while agrees with the organization after one run. Reads: one paginated Query of
 * each ledger and of the member's active bans, plus a GetItem of the central item per organization ban the
 * central list no longer holds (it was lifted while the member was away).
 */
export async function catchUpOrganization(
  runtime: Runtime,
  member: OrgMember,
  now: number,
): Promise<OrgApplySummary> {
  const summary = newSummary();
  const central = member.central;
  if (central === undefined) return summary;
  const nowSeconds = Math.floor(now / 1000);
  const localBans = new Map<string, IpRecord>();
  for await (const record of runtime.store.activeBans()) localBans.set(record.ip, record);
  const centralStates = new Map<string, OrgBanState>();
  for await (const item of central.inForce(nowSeconds)) centralStates.set(item.ip, item);
  const ownStates = new Map<string, OrgBanState>();
  for await (const item of member.ledger.inForce(nowSeconds)) ownStates.set(item.ip, item);
  const orgHeld = [...localBans.values()]
    .filter((record) => record.ban?.jail.startsWith(ORG_JAIL_PREFIX))
    .map((record) => record.ip);
  const addresses = [...new Set([...centralStates.keys(), ...ownStates.keys(), ...orgHeld])].sort();
  const results = await mapSettled(addresses, CONCURRENCY, async (ip) => {
    const theirs = centralStates.get(ip) ?? (await central.get(ip));
    let state = ownStates.get(ip);
    if (theirs !== undefined) {
      const merged = await member.ledger.merge({ ip, origins: theirs.origins }, now);
      if (merged.changed) summary.outcomes.applied++;
      state = merged.state;
    }
    const before = summary.imposed.length + summary.lifted.length + summary.rescheduled.length;
    await converge(runtime, member, ip, state, localBans.get(ip), now, summary);
    if (summary.imposed.length + summary.lifted.length + summary.rescheduled.length > before) {
      runtime.logger.warn("organization ban caught up from the central ledger", { ip });
    }
  });
  await republishMissing(runtime, member, localBans, centralStates, now, summary);
  runtime.metrics.addMetric(
    ORG_METRIC.caughtUp,
    MetricUnit.Count,
    summary.imposed.length + summary.lifted.length + summary.rescheduled.length,
  );
  await finish(runtime, summary, now);
  for (const result of results) {
    if (result.status === "rejected") {
      runtime.logger.error("organization catch-up failed for an address; the next run retries", {
        error: String(result.reason),
      });
    }
  }
  return summary;
}

/** Publishes again the bans of this account's shared jails that the central ledger does not list in force. */
async function republishMissing(
  runtime: Runtime,
  member: OrgMember,
  localBans: ReadonlyMap<string, IpRecord>,
  centralStates: ReadonlyMap<string, OrgBanState>,
  now: number,
  summary: MutableSummary,
): Promise<void> {
  const publishing = member.publishing;
  if (publishing === undefined) return;
  const key = originKey(publishing.origin);
  const missing: OrgEvent[] = [];
  for (const record of localBans.values()) {
    const ban = record.ban;
    if (ban === undefined) continue;
    const known = centralStates.get(record.ip)?.origins[key];
    if (known !== undefined && known.bannedAt >= ban.bannedAt) continue;
    const event = orgEventOfNotice(
      {
        action: "ban",
        jail: ban.jail,
        ip: record.ip,
        failures: ban.failures,
        until: ban.endsAtIso,
        nacls: ban.entries,
        reason: ban.reason,
        banNumber: ban.banNumber,
        bannedAt: ban.bannedAtIso,
      },
      { config: runtime.config, origin: publishing.origin, clock: () => now },
    );
    if (event !== undefined) missing.push(event);
  }
  if (missing.length === 0) return;
  try {
    await publishing.sink.put(missing);
    summary.republished.push(...missing.map((event) => event.ip));
    runtime.logger.warn("bans the central ledger lacked were published again", {
      ips: summary.republished,
    });
  } catch (error) {
    runtime.metrics.addMetric(ORG_METRIC.publishFailures, MetricUnit.Count, missing.length);
    runtime.logger.error("bans the central ledger lacks could not be published; the next run retries", {
      error: String(error),
    });
  }
}

/** Makes the member's NACLs agree with `state` for `ip`; `record` is the address's IP record as read. */
async function converge(
  runtime: Runtime,
  member: OrgMember,
  ip: string,
  state: OrgBanState | undefined,
  record: IpRecord | undefined,
  now: number,
  summary: MutableSummary,
): Promise<void> {
  const nowSeconds = Math.floor(now / 1000);
  const active = activeOrgBan(state, nowSeconds);
  const ban = record?.ban;
  // A ban that ended but is not lifted yet counts as none, unless it came from the organization: then the
  // organization says whether it goes now or lasts longer.
  const local: LocalBanView | undefined =
    ban === undefined || (hasEnded(ban, nowSeconds) && !isOrgJail(ban.jail))
      ? undefined
      : { jail: ban.jail, banId: ban.banId, endsAt: ban.endsAt };
  const allowlisted =
    active === undefined || member.allowlisted === undefined ? false : await member.allowlisted(ip);
  const plan = planOrgEnforcement(active, local, memberProtection(runtime.config, ip, allowlisted));
  await carryOut(runtime, ip, plan, record, now, summary);
  if (plan.kind === "none" && plan.why.startsWith("protected here") && active !== undefined) {
    summary.refused.push(ip);
    runtime.logger.info("organization ban refused: the address is protected here", { ip, why: plan.why });
  }
}

async function carryOut(
  runtime: Runtime,
  ip: string,
  plan: OrgEnforcement,
  record: IpRecord | undefined,
  now: number,
  summary: MutableSummary,
): Promise<void> {
  const { bans, logger } = runtime;
  if (plan.kind === "impose") {
    const { ban } = plan;
    const nowSeconds = Math.floor(now / 1000);
    const ownJail = runtime.config.jails.find((jail) => jail.name === ban.jail);
    const imposed = await bans.impose(
      {
        ip,
        decision: {
          jail: `${ORG_JAIL_PREFIX}${ban.jail}`,
          seconds: ban.endsAt === null ? -1 : ban.endsAt - nowSeconds,
          bannedAt: nowSeconds,
          endsAt: ban.endsAt,
          banNumber: ban.banNumber,
          reason: ban.reason,
          lengthRule: "the organization's ban, as the deciding account published it",
        },
        failures: 0,
        lines: [],
        targets: await runtime.resolver.managedNacls(),
        portRange: denyPortRange(ownJail?.port, runtime.config.nacl.restrictToJailPorts),
      },
      now,
      record ?? null,
    );
    if (!imposed.imposed || imposed.record === undefined) return;
    const enforced = runtime.config.nacl.aggregation
      ? imposed.record
      : ((await bans.enforce(imposed.record, runtime.newAllocator(), now)) ?? imposed.record);
    summary.imposed.push(ip);
    const pending = enforced.ban?.pending ?? {};
    logger.info("organization ban applied", {
      ip,
      origins: ban.origins,
      until: enforced.ban?.endsAtIso ?? null,
      nacls: enforced.ban?.entries ?? {},
      pending,
    });
    if (Object.keys(pending).length > 0 && runtime.config.nacl.aggregation === undefined) {
      await holdInOverflow(runtime, [ip], "organization ban, no room in a NACL");
    }
  } else if (plan.kind === "reschedule") {
    if (await bans.reschedule(ip, plan.banId, plan.endsAt, now)) {
      summary.rescheduled.push(ip);
      logger.info("organization ban rescheduled", { ip, endsAt: plan.endsAt });
    }
  } else if (plan.kind === "lift") {
    const lifted = await bans.lift(ip, plan.banId, now);
    if (lifted !== undefined) {
      summary.lifted.push(ip);
      logger.info("organization ban lifted", { ip, why: plan.why, nacls: lifted.removed });
    }
  }
}

/** With aggregation, the bans imposed are placed by the consolidation, as the responder's are. */
async function finish(runtime: Runtime, summary: MutableSummary, now: number): Promise<void> {
  if (summary.imposed.length > 0 && runtime.config.nacl.aggregation !== undefined) {
    await aggregate(runtime, now, false, summary.imposed);
  }
  runtime.metrics.addMetric(ORG_METRIC.applied, MetricUnit.Count, summary.imposed.length);
  runtime.metrics.addMetric(ORG_METRIC.lifted, MetricUnit.Count, summary.lifted.length);
  runtime.metrics.addMetric(ORG_METRIC.refused, MetricUnit.Count, summary.refused.length);
  runtime.metrics.publishStoredMetrics();
}

type MutableSummary = {
  outcomes: Record<FoldOutcome, number>;
  republished: string[];
  imposed: string[];
  lifted: string[];
  rescheduled: string[];
  refused: string[];
};

function newSummary(): MutableSummary {
  return {
    outcomes: { applied: 0, duplicate: 0, stale: 0 },
    imposed: [],
    lifted: [],
    rescheduled: [],
    refused: [],
    republished: [],
  };
}
