import type { Command } from "commander";
import type { AllowEntry } from "../../lambda/aws/allowlist";
import { parseDuration } from "../../lambda/core/duration";
import { UsageError } from "./errors";
import { requireIpOrCidr } from "./ip-argument";
import type { OperatorDeps } from "./operator";
import { type OperatorOptions, withOperatorOptions } from "./operator-options";
import { formatTable, formatTime } from "./table-format";

interface IgnoreOptions extends OperatorOptions {
  readonly jail?: string;
  readonly until?: string;
  readonly reason?: string;
}

/**
 * `cloudjail ignore add|remove|list`: the runtime allowlist (issue 15 §2), stored in the stack's table
 * (lambda/aws/allowlist.ts). An entry exempts its address or CIDR as the jail's `ignoreip` does, for one jail
 * (`--jail`) or all, until `--until` or removed. Adding lifts at once every ban the range holds (covers split around
 * it, range-unban.ts); the responders honour it within a minute (allowlist-cache.ts).
 */
export function registerIgnore(program: Command, deps?: OperatorDeps): void {
  const ignore = program
    .command("ignore")
    .description("the runtime allowlist: addresses and CIDRs never banned, without a deploy");
  withOperatorOptions(
    ignore
      .command("add")
      .description("allow an address or CIDR: its bans are lifted now, it is never banned while listed")
      .argument("<ip|cidr>", "IPv4 or IPv6 address or CIDR")
      .option("--jail <jail>", "only in this jail (default: every jail)")
      .option(
        "--until <time>",
        "until this time (ISO 8601) or for this long (1h, 7d); default: until removed",
      )
      .option("--reason <text>", "why, shown by ignore list"),
  ).action((text: string, options: IgnoreOptions) => add(text, options, deps));
  withOperatorOptions(
    ignore
      .command("remove")
      .description("take an address or CIDR off the allowlist")
      .argument("<ip|cidr>", "as added")
      .option("--jail <jail>", "the entry of this jail (default: the every-jail entry)"),
  ).action((text: string, options: IgnoreOptions) => remove(text, options, deps));
  withOperatorOptions(
    ignore
      .command("list")
      .description("the allowlist's entries in force")
      .option("--jail <jail>", "only this jail's"),
  ).action((options: IgnoreOptions) => list(options, deps));
}

async function add(text: string, options: IgnoreOptions, deps: OperatorDeps | undefined): Promise<void> {
  const range = requireIpOrCidr(text);
  const { runOperator, REAL_OPERATOR_DEPS, writeJson } = await import("./operator");
  const { createOperatorRuntime } = await import("./ban-path");
  const { requireJail } = await import("./stack");
  const { allowEntry } = await import("../../lambda/aws/allowlist");
  const { RangeUnban } = await import("../../lambda/aws/range-unban");
  return runOperator(options, deps ?? REAL_OPERATOR_DEPS, async (context) => {
    const jail =
      options.jail === undefined ? undefined : requireJail(context.stack.config, options.jail).name;
    const until = untilSeconds(options.until, context.now);
    const runtime = createOperatorRuntime(context);
    const entry = await runtime.allowlist.put(
      allowEntry(
        "ignore",
        range,
        {
          ...(jail === undefined ? {} : { jail }),
          until,
          reason: options.reason ?? "cloudjail ignore add",
        },
        context.now,
      ),
    );
    const report = await new RangeUnban({
      store: runtime.store,
      bans: runtime.bans,
      allowlist: runtime.allowlist,
      newAllocator: () => runtime.newAllocator(),
      aggregation: false,
    }).unban(range, context.now, jail);
    const lifted = report.lifted.map((each) => ({ ip: each.ip, jail: each.ban.jail }));
    if (context.json) {
      writeJson(context, { added: entry, lifted, covers: report.covers, otherJails: report.otherJails });
      return;
    }
    context.write(`${entry.cidr} is ignored ${scopeText(entry)}${untilText(entry)}\n`);
    for (const each of lifted) context.write(`unbanned ${each.ip} (${each.jail})\n`);
    for (const change of report.covers) {
      const now = change.replacedBy.length === 0 ? "removed" : `now ${change.replacedBy.join(", ")}`;
      const pending = change.pending.length === 0 ? "" : `; pending: ${change.pending.join(", ")}`;
      context.write(
        `covering entry ${change.cover} split around ${change.cut.join(", ")}: ${now}${pending}\n`,
      );
    }
    for (const other of report.otherJails) {
      context.write(`${other.ip} stays banned by the ${other.jail} jail (the entry is for ${jail})\n`);
    }
  });
}

async function remove(text: string, options: IgnoreOptions, deps: OperatorDeps | undefined): Promise<void> {
  const range = requireIpOrCidr(text);
  const { runOperator, REAL_OPERATOR_DEPS, writeJson } = await import("./operator");
  const { requireJail } = await import("./stack");
  const { Allowlist, canonicalCidr } = await import("../../lambda/aws/allowlist");
  return runOperator(options, deps ?? REAL_OPERATOR_DEPS, async (context) => {
    const jail =
      options.jail === undefined ? undefined : requireJail(context.stack.config, options.jail).name;
    const cidr = canonicalCidr(range);
    const removed = await new Allowlist(context.documents, context.stack.tableName).remove(
      "ignore",
      cidr,
      jail,
    );
    if (context.json) writeJson(context, { removed, cidr, ...(jail === undefined ? {} : { jail }) });
    else if (removed)
      context.write(`${cidr} is no longer ignored ${jail === undefined ? "in every jail" : `in ${jail}`}\n`);
    else
      context.write(
        `${cidr} has no allowlist entry ${jail === undefined ? "for every jail" : `for ${jail}`}\n`,
      );
  });
}

async function list(options: IgnoreOptions, deps: OperatorDeps | undefined): Promise<void> {
  const { runOperator, REAL_OPERATOR_DEPS, writeJson } = await import("./operator");
  const { Allowlist } = await import("../../lambda/aws/allowlist");
  return runOperator(options, deps ?? REAL_OPERATOR_DEPS, async (context) => {
    const entries = (
      await new Allowlist(context.documents, context.stack.tableName).list(Math.floor(context.now / 1000))
    ).filter(
      (entry) => options.jail === undefined || entry.jail === undefined || entry.jail === options.jail,
    );
    if (context.json) {
      writeJson(context, { entries });
      return;
    }
    context.write(
      formatTable(
        [
          { heading: "Range" },
          { heading: "Jail" },
          { heading: "Kind" },
          { heading: "Until" },
          { heading: "Reason" },
        ],
        entries.map((entry) => [
          entry.cidr,
          entry.jail ?? "*",
          entry.scope === "ignore" ? "ignored" : "kept out of covers",
          entry.until === null ? "removed" : formatTime(entry.until * 1000),
          entry.reason,
        ]),
        "the allowlist is empty",
      ),
    );
  });
}

/** `--until`: an ISO 8601 time, or a duration from now; epoch seconds, null when absent. */
export function untilSeconds(text: string | undefined, now: number): number | null {
  if (text === undefined) return null;
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new UsageError(`--until "${text}" is not a time`);
    if (at <= now) throw new UsageError(`--until ${text} has passed`);
    return Math.floor(at / 1000);
  }
  let seconds: number;
  try {
    seconds = parseDuration(text);
  } catch (error) {
    throw new UsageError(`--until: ${(error as Error).message}, or an ISO 8601 time`);
  }
  if (seconds <= 0) throw new UsageError(`--until "${text}": give a time or a positive duration`);
  return Math.floor(now / 1000) + seconds;
}

function scopeText(entry: AllowEntry): string {
  return entry.jail === undefined ? "in every jail" : `in the ${entry.jail} jail`;
}

function untilText(entry: AllowEntry): string {
  return entry.until === null ? " until removed" : ` until ${formatTime(entry.until * 1000)}`;
}
