import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { type CoverReport, CoverService } from "../aws/cover-service";
import type { ProposedBans } from "../aws/proposed-bans";
import { METRIC } from "../core/telemetry";
import { liftAllowed } from "./lift-allowed";
import { holdInOverflow } from "./overflow";
import { type ResponderSummary, respond } from "./respond";
import type { Runtime } from "./runtime";
import { type UnbannerSummary, unban } from "./unban";

/**
 * Runs aggregation (issue 7) for a handler, when the configuration enables it: the responder after a batch that
 * banned, the unbanner on every run (`liftEnded`: it also lifts covered bans whose end passed). Adds the
 * `Evictions` metric (the caller publishes), logs what changed, notifies the unbans. A failure is logged, not
 * thrown: the batch's claimed bans get entries of their own, its proposals are recorded one by one, and the next
 * unbanner run consolidates again.
 */
export async function aggregate(
  runtime: Runtime,
  now: number,
  liftEnded: boolean,
  ownClaims: readonly string[] = [],
  proposals?: ProposedBans,
): Promise<CoverReport | undefined> {
  if (runtime.config.nacl.aggregation === undefined) {
    // Nothing to consolidate, but proposals handed here must still be recorded.
    if (proposals !== undefined) await enforceOneByOne(runtime, ownClaims, proposals, now);
    return undefined;
  }
  const { logger, metrics } = runtime;
  const service = new CoverService({
    config: runtime.config,
    store: runtime.store,
    bans: runtime.bans,
    enforcer: runtime.enforcer,
    managedNacls: () => runtime.resolver.managedNacls(),
    vpcCidrs: () => runtime.resolver.vpcCidrs(),
    newAllocator: () => runtime.newAllocator(),
    claimGraceSeconds: runtime.claimGraceSeconds,
    reachable: async (nowSeconds) => (await runtime.allowlist.list(nowSeconds)).map((entry) => entry.cidr),
    coverEvicted: runtime.overflow !== undefined,
  });
  let report: CoverReport;
  try {
    report = await service.consolidate(now, liftEnded, ownClaims, proposals);
  } catch (error) {
    logger.error(
      "aggregation failed; the batch's bans get entries of their own, the unbanner consolidates later",
      {
        error: String(error),
      },
    );
    await enforceOneByOne(runtime, ownClaims, proposals, now);
    return undefined;
  }
  metrics.addMetric(METRIC.evictions, MetricUnit.Count, report.evicted.length);
  const leftPending = [...report.recorded.values()].filter(
    (record) => record.ban?.state === "pending" && record.ban.coveredBy === undefined,
  );
  await holdInOverflow(
    runtime,
    [...new Set([...report.evicted, ...leftPending.map((record) => record.ip)])],
    "evicted from the NACLs, or no room in one",
  );
  if (report.created.length + report.removed.length + report.covered + report.evicted.length > 0) {
    logger.info("covering entries changed", {
      created: report.created,
      removed: report.removed,
      covered: report.covered,
      evicted: report.evicted,
    });
  }
  if (report.evicted.length > 0) {
    logger.warn(
      "bans evicted from the NACLs: no allowed covering block holds them; they stay recorded, pending",
      {
        evicted: report.evicted,
      },
    );
  }
  for (const record of report.lifted) {
    const ban = record.ban;
    if (ban === undefined) continue;
    logger.info("unbanned", {
      ip: record.ip,
      jail: ban.jail,
      endedAt: ban.endsAtIso,
      coveredBy: ban.coveredBy,
    });
    await runtime.notifier.notify({
      action: "unban",
      jail: ban.jail,
      ip: record.ip,
      failures: ban.failures,
      until: ban.endsAtIso,
      nacls: {},
      banNumber: ban.banNumber,
      bannedAt: ban.bannedAtIso,
    });
  }
  return report;
}

/**
 * The responder with aggregation: a batch that bans is consolidated at once, so covers land in the same
 * invocation, and a ban a cover holds is recorded in one write.
 */
export async function respondAndAggregate(
  runtime: Runtime,
  event: unknown,
  now: number,
  invocationId?: string,
): Promise<ResponderSummary> {
  if (runtime.config.nacl.aggregation === undefined)
    return respond(runtime, event, now, undefined, invocationId);
  return respond(
    runtime,
    event,
    now,
    async (claims, proposals) => {
      await aggregate(runtime, now, false, claims, proposals);
    },
    invocationId,
  );
}

/** The unbanner with aggregation: lifts, reconciles, then lifts ended covered bans and consolidates the covers. */
export async function unbanAndAggregate(runtime: Runtime, now: number): Promise<UnbannerSummary> {
  // Bans the runtime allowlist holds go first (lift-allowed.ts), then the ended ones, the reconcile and covers.
  await liftAllowed(runtime, now);
  const summary = await unban(runtime, now);
  if ((await aggregate(runtime, now, true)) !== undefined) runtime.metrics.publishStoredMetrics();
  return summary;
}

/**
 * The fallback when consolidation fails: the responder's bans (still `enforcing`, claimed by this invocation) get
 * entries of their own as without aggregation, so that none waits for the unbanner's grace period unenforced;
 * proposals not recorded yet are recorded and enforced the same way.
 */
async function enforceOneByOne(
  runtime: Runtime,
  ips: readonly string[],
  proposals: ProposedBans | undefined,
  now: number,
): Promise<void> {
  const allocator = runtime.newAllocator();
  try {
    await proposals?.flush();
  } catch (error) {
    runtime.logger.error("bans not recorded; the batch will be retried", { error: String(error) });
  }
  for (const ip of proposals?.waiting() ?? []) {
    try {
      const record = await proposals?.recordNow(ip);
      if (record !== undefined) await runtime.bans.enforce(record, allocator, now);
    } catch (error) {
      runtime.logger.error("ban not recorded; the batch will be retried", { ip, error: String(error) });
    }
  }
  for (const ip of ips) {
    try {
      const record = await runtime.store.getRecord(ip);
      if (record?.ban?.state === "enforcing" && record.ban.coveredBy === undefined) {
        await runtime.bans.enforce(record, allocator, now);
      }
    } catch (error) {
      runtime.logger.error("ban left to the unbanner", { ip, error: String(error) });
    }
  }
}
