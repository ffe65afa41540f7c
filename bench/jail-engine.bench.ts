/**
 * In-process throughput of the jail engine (the policy behind `cloudjail replay` and the demo): 1,000,000
 * failures from 50,000 addresses (a few heavy hitters) over a simulated week, through the seed article's jail
 * (maxretry 3 / findtime 300 s / bantime 1 h) with bantime.increment and a recidive jail. Reports failures/s
 * (median of ROUNDS, default 3), bans and unbans, and the peak number of active bans.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseJailConf } from "../lambda/core/config";
import { JailEngine } from "../lambda/core/jail-engine";
import { seededRandom as random } from "../lambda/core/seeded-random";

const FAILURES = 1_000_000;
const ADDRESSES = 50_000;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const WEEK_MS = 7 * 86_400_000;

const seed = readFileSync(join(__dirname, "../config/jail.local"), "utf8");
const text =
  seed.replace("maxretry = 3", "maxretry = 3\nbantime.increment = true\nbantime.maxtime = 1w") +
  "\n[recidive]\nenabled = true\n";
const { config } = parseJailConf(text, "bench.local");

const next = random(1);
const ips = Array.from({ length: ADDRESSES }, (_, index) =>
  index % 10 === 0
    ? `2001:db8:${(index >> 8).toString(16)}::${(index & 255).toString(16)}`
    : `198.${18 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}`,
);
const times = new Float64Array(FAILURES);
const who = new Uint32Array(FAILURES);
for (let index = 0; index < FAILURES; index++) {
  times[index] = Date.UTC(2026, 10, 16) + Math.floor((index / FAILURES) * WEEK_MS);
  // A power law: a few addresses send most failures, as on a real server.
  who[index] = Math.floor(ADDRESSES * next() ** 3);
}

const rates: number[] = [];
let bans = 0;
let unbans = 0;
let peakActive = 0;
for (let round = 0; round < ROUNDS; round++) {
  const engine = new JailEngine(config, { random: random(2) });
  bans = 0;
  unbans = 0;
  peakActive = 0;
  const started = performance.now();
  for (let index = 0; index < FAILURES; index++) {
    for (const event of engine.pushFailure("sshd", ips[who[index]], times[index])) {
      if (event.action === "ban") bans++;
      else unbans++;
    }
    if ((index & 1023) === 0) peakActive = Math.max(peakActive, engine.status("sshd").banned.size);
  }
  rates.push(FAILURES / ((performance.now() - started) / 1000));
}
rates.sort((a, b) => a - b);
const median = rates[Math.floor(rates.length / 2)];
console.log(
  `jail engine: ${Math.round(median).toLocaleString("en")} failures/s (median of ${ROUNDS}; runs ${rates.map((r) => Math.round(r)).join(", ")})`,
);
console.log(
  `  ${FAILURES.toLocaleString("en")} failures from ${ADDRESSES.toLocaleString("en")} addresses over a week: ${bans} bans, ${unbans} unbans, peak ${peakActive} active sshd bans`,
);
