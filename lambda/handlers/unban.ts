import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { type ReconcileReport, Reconciler } from "../aws/reconciler";
import type { IpRecord } from "../aws/store-items";
import { METRIC } from "../core/telemetry";
import { syncOverflow } from "./overflow";
import type { Runtime } from "./runtime";

/** What one unbanner run did. */
export interface UnbannerSummary {
  /** IPs whose ban ended and was lifted. */
  readonly unbanned: readonly string[];
  readonly reconcile: ReconcileReport;
}

/**
 * The unbanner, at time `now` (epoch ms, read once by the handler): lifts every ban whose end has passed (queried
 * by end time, page by page: no scan), then reconciles the managed NACLs with the table both ways, retrying
 * pending bans where slots are free. History stays in the IP records.
 */
export async function unban(runtime: Runtime, now: number): Promise<UnbannerSummary> {
  const { store, bans, logger, metrics, notifier } = runtime;
  const nowSeconds = Math.floor(now / 1000);
  const ended: IpRecord[] = [];
  for await (const record of store.bansEndingBy(nowSeconds)) ended.push(record);

  const unbanned: string[] = [];
  for (const record of ended) {
    if (record.ban === undefined) continue;
    const lifted = await bans.lift(record.ip, record.ban.banId, now, nowSeconds);
    if (lifted === undefined) continue;
    unbanned.push(lifted.ip);
    logger.info("unbanned", {
      ip: lifted.ip,
      jail: lifted.ban.jail,
      bannedAt: lifted.ban.bannedAtIso,
      endedAt: lifted.ban.endsAtIso,
      nacls: lifted.removed,
    });
    await notifier.notify({
      action: "unban",
      jail: lifted.ban.jail,
      ip: lifted.ip,
      failures: lifted.ban.failures,
      until: lifted.ban.endsAtIso,
      nacls: lifted.removed,
      banNumber: lifted.ban.banNumber,
      bannedAt: lifted.ban.bannedAtIso,
    });
  }

  const reconciler = new Reconciler({
    store,
    leases: runtime.leases,
    enforcer: runtime.enforcer,
    bans,
    settings: runtime.config.nacl,
    graceSeconds: runtime.claimGraceSeconds,
  });
  const reconcile = await reconciler.run(await runtime.resolver.managedNacls(), runtime.newAllocator(), now);
  const repaired = reconcile.removedEntries + reconcile.adoptedEntries + reconcile.reapplied.length;
  if (repaired > 0 || reconcile.releasedLeases > 0) {
    logger.warn("drift repaired", {
      removedEntries: reconcile.removedEntries,
      adoptedEntries: reconcile.adoptedEntries,
      releasedLeases: reconcile.releasedLeases,
      reapplied: reconcile.reapplied,
    });
  }
  if (reconcile.pending.length > 0) {
    logger.warn("bans pending: no room in a NACL", { pending: reconcile.pending });
  }
  for (const rule of reconcile.foreignRules) {
    logger.error("a rule cloudjail does not own lies inside the reserved range; it is left alone", { rule });
  }
  await syncOverflow(runtime, now);
  const slots = [...reconcile.slotsFree.values()].flatMap((free) => [free.ipv4, free.ipv6]);
  metrics.addMetric(METRIC.unbans, MetricUnit.Count, unbanned.length);
  metrics.addMetric(METRIC.activeBans, MetricUnit.Count, reconcile.activeBans);
  metrics.addMetric(METRIC.pendingBans, MetricUnit.Count, reconcile.pending.length);
  metrics.addMetric(METRIC.reconciled, MetricUnit.Count, repaired);
  // The tightest NACL and family: what "slots nearly exhausted" alarms on.
  if (slots.length > 0) metrics.addMetric(METRIC.naclSlotsFree, MetricUnit.Count, Math.min(...slots));
  metrics.publishStoredMetrics();
  logger.info("unbanner done", {
    unbanned: unbanned.length,
    activeBans: reconcile.activeBans,
    pending: reconcile.pending.length,
    repaired,
  });
  return { unbanned, reconcile };
}
