import { RangeUnban } from "../aws/range-unban";
import type { Runtime } from "./runtime";

/**
 * The unbanner's allowlist step (issue 15 §2): lifts every ban a runtime allowlist entry holds, covers split around
 * it. `cloudjail ignore add` lifts them at once; this catches what a responder banned while its cached allowlist
 * (at most a minute old) did not have the entry yet, and an `ignore add` that stopped midway. One Query when the
 * allowlist is empty. Returns the addresses whose bans were lifted.
 */
export async function liftAllowed(runtime: Runtime, now: number): Promise<string[]> {
  const entries = (await runtime.allowlist.list(Math.floor(now / 1000))).filter(
    (entry) => entry.scope === "ignore",
  );
  if (entries.length === 0) return [];
  const service = new RangeUnban({
    store: runtime.store,
    bans: runtime.bans,
    allowlist: runtime.allowlist,
    newAllocator: () => runtime.newAllocator(),
    aggregation: false,
  });
  const lifted: string[] = [];
  for (const entry of entries) {
    const report = await service.unban(entry.cidr, now, entry.jail);
    for (const each of report.lifted) {
      lifted.push(each.ip);
      runtime.logger.info("unbanned: on the runtime allowlist", {
        ip: each.ip,
        jail: each.ban.jail,
        allowlisted: entry.cidr,
        nacls: each.removed,
      });
    }
    for (const change of report.covers) {
      runtime.logger.info("covering entry split around an allowlisted range", { ...change });
    }
  }
  return lifted;
}
