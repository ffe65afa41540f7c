import {
  isoOfMs,
  type WindowBlock,
  type WindowItem,
  windowBlockKey,
  windowBlockOf,
  windowEntryKey,
} from "../../lambda/aws/store-items";

/** A window entry as the responder stores it: `times` (epoch ms, oldest first) in `jail`. */
export function windowOf(
  ip: string,
  times: readonly number[],
  options: { jail?: string; total?: number } = {},
): WindowItem {
  const last = times[times.length - 1] ?? 0;
  return {
    jail: options.jail ?? "sshd",
    ip,
    failureTimes: times,
    counted: {},
    totalFailures: options.total ?? times.length,
    lastFailureAt: last,
    lastFailureAtIso: isoOfMs(last),
    lines: [],
    expiresAt: Math.floor(last / 1000) + 86_400,
  };
}

/** The block items holding `windows`, one per block shard, ready for `store.swap(item, undefined)`. */
export function blocksOf(windows: readonly WindowItem[]): Omit<WindowBlock, "version">[] {
  const blocks = new Map<string, Omit<WindowBlock, "version">>();
  for (const window of windows) {
    const key = windowBlockKey(window.ip);
    const { block, shard } = windowBlockOf(window.ip);
    const item = blocks.get(key.pk) ?? {
      ...key,
      kind: "windows" as const,
      block,
      shard,
      windows: {},
      marks: {},
      totals: {},
    };
    blocks.set(key.pk, {
      ...item,
      windows: { ...item.windows, [windowEntryKey(window.jail, window.ip)]: window },
      totals: { ...item.totals, [window.jail]: (item.totals[window.jail] ?? 0) + window.totalFailures },
    });
  }
  return [...blocks.values()];
}
