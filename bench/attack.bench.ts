/**
 * `npm run bench attack`: an attack from N addresses over M /24 prefixes at R failed logins per second for D
 * seconds, driven through the real responder and unbanner (with aggregation) against dynalite and the NACL model
 * behind the loopback EC2 endpoint. Simulated time: CloudWatch Logs delivers a batch every BATCH seconds, the
 * unbanner runs every minute. A line whose source the NACL already blocks at the moment it would be sent is dropped
 * (the NACL stops the packets), so it is never ingested, detected or billed.
 *
 * Reports: share of attack lines stopped because their source was covered, NACL entries used, DynamoDB and EC2
 * requests, measured handler time, and an estimated cost per million failed logins (bench/attack/prices.ts).
 *
 * Environment: ATTACK_IPS (1000), ATTACK_PREFIXES (40), ATTACK_RATE (lines/s, 100), ATTACK_SECONDS (300),
 * ATTACK_BATCH_SECONDS (5), ATTACK_QUOTA (20), ATTACK_AGGREGATE (1; 0 = one entry per address, for comparison),
 * ATTACK_OVERFLOW (0; 1 = a Network Firewall rule group holds the bans the NACL cannot, and drops their lines too).
 * Full size of issue 7: ATTACK_IPS=100000 ATTACK_PREFIXES=1000 ATTACK_RATE=2778 ATTACK_SECONDS=3600.
 */
import { parseCidr } from "../lambda/core/ip";
import { respondAndAggregate, unbanAndAggregate } from "../lambda/handlers/aggregate";
import { encodeLogsEvent } from "../lambda/handlers/decode";
import {
  type AttackShape,
  checkShape,
  failedLoginLine,
  sourceAddress,
  sourcePicker,
} from "./attack/attack-plan";
import { BlockSet } from "./attack/block-set";
import { costOf, PRICES } from "./attack/prices";
import { createSimWorld } from "./attack/sim-world";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const shape: AttackShape = {
  addresses: env("ATTACK_IPS", 1000),
  prefixes: env("ATTACK_PREFIXES", 40),
  linesPerSecond: env("ATTACK_RATE", 100),
  seconds: env("ATTACK_SECONDS", 300),
  seed: 1,
};
const BATCH_SECONDS = env("ATTACK_BATCH_SECONDS", 5);
const QUOTA = env("ATTACK_QUOTA", 20);
const AGGREGATE = process.env.ATTACK_AGGREGATE !== "0";
const OVERFLOW = process.env.ATTACK_OVERFLOW === "1";
const UNBANNER_SECONDS = 60;
const MAX_EVENTS = 10_000;
const LAMBDA_GB = 0.25;
const T0 = Date.parse("2026-11-25T12:00:00Z");

async function main(): Promise<void> {
  checkShape(shape);
  const world = await createSimWorld({ quota: QUOTA, aggregate: AGGREGATE, overflow: OVERFLOW });
  const runtime = world.runtime();
  const pick = sourcePicker(shape);
  const ips = Array.from({ length: shape.addresses }, (_, index) => sourceAddress(shape, index));
  const totals = {
    generated: 0,
    stopped: 0,
    delivered: 0,
    reported: 0,
    logsBytes: 0,
    invocations: 0,
    bans: 0,
    stoppedByOverflow: 0,
  };
  /** Responder invocations' DynamoDB requests against the distinct source addresses of their batch. */
  const perIp = { requests: 0, distinctIps: 0, worst: 0, worstBatch: "" };
  const dynamoTotal = () => [...world.dynamo.requests.values()].reduce((sum, count) => sum + count, 0);
  const handlerMs = { responder: 0, unbanner: 0 };
  let maxEntries = 0;
  let batchIndex = 0;
  let pid = 1000;
  const started = Date.now();
  const ec2Before = world.model.totalCalls();

  for (let second = 0; second < shape.seconds; second += BATCH_SECONDS) {
    const nacl = new BlockSet(ownedBlocks(world.model.entriesOf(world.naclId)));
    const overflow = new BlockSet(world.overflowBlocks().map(parseCidr));
    const blocked = new Map<string, boolean>();
    const isBlocked = (ip: string) => {
      let answer = blocked.get(ip);
      if (answer === undefined) {
        answer = nacl.has(ip) || overflow.has(ip);
        blocked.set(ip, answer);
      }
      return answer;
    };
    const lines = Math.round(shape.linesPerSecond * Math.min(BATCH_SECONDS, shape.seconds - second));
    const events: { id: string; timestamp: number; message: string }[] = [];
    for (let index = 0; index < lines; index++) {
      const at = T0 + second * 1000 + Math.floor((index * BATCH_SECONDS * 1000) / Math.max(1, lines));
      const ip = ips[pick()] as string;
      totals.generated++;
      if (isBlocked(ip)) {
        totals.stopped++;
        if (!nacl.has(ip)) totals.stoppedByOverflow++;
        continue;
      }
      const message = failedLoginLine(ip, at, pid++);
      events.push({
        id: `${String(batchIndex).padStart(12, "0")}${String(index).padStart(10, "0")}`,
        timestamp: at,
        message,
      });
      totals.logsBytes += Buffer.byteLength(message) + PRICES.logsEventOverheadBytes;
    }
    const now = T0 + (second + BATCH_SECONDS) * 1000;
    for (let start = 0; start < events.length; start += MAX_EVENTS) {
      const chunk = events.slice(start, start + MAX_EVENTS);
      const event = encodeLogsEvent({
        messageType: "DATA_MESSAGE",
        owner: "123456789012",
        logGroup: "/cloudjail/auth",
        logStream: "i-0123456789abcdef0",
        subscriptionFilters: ["cloudjail"],
        logEvents: chunk,
      });
      const begin = performance.now();
      const requestsBefore = dynamoTotal();
      const byCommandBefore = new Map(world.dynamo.requests);
      const summary = await respondAndAggregate(runtime, event, now);
      handlerMs.responder += performance.now() - begin;
      const requests = dynamoTotal() - requestsBefore;
      const distinct = new Set(chunk.map((logEvent) => logEvent.message.split(" from ")[1]?.split(" ")[0]))
        .size;
      perIp.requests += requests;
      perIp.distinctIps += distinct;
      if (requests / Math.max(1, distinct) > perIp.worst) {
        perIp.worst = requests / Math.max(1, distinct);
        const spent = [...world.dynamo.requests]
          .map(([name, count]) => [name, count - (byCommandBefore.get(name) ?? 0)] as const)
          .filter(([, count]) => count > 0)
          .map(([name, count]) => `${name} ${count}`);
        perIp.worstBatch = `${requests} requests for ${distinct} addresses, ${summary.bans.length} bans: ${spent.join(", ")}`;
      }
      totals.invocations++;
      totals.delivered += chunk.length;
      totals.reported += summary.reported;
      totals.bans += summary.bans.length;
    }
    batchIndex++;
    maxEntries = Math.max(maxEntries, world.model.countEntries(world.naclId, false, "ipv4"));
    if (Math.floor((second + BATCH_SECONDS) / UNBANNER_SECONDS) > Math.floor(second / UNBANNER_SECONDS)) {
      const begin = performance.now();
      await unbanAndAggregate(runtime, now);
      handlerMs.unbanner += performance.now() - begin;
      totals.invocations++;
      // Progress on stderr, one line per simulated minute: long runs show how far they are.
      console.error(
        `  minute ${(second + BATCH_SECONDS) / 60}: ${totals.generated} lines, ${totals.stopped} stopped, ` +
          `${totals.bans} bans, wall ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
    }
  }
  const ec2Calls = world.model.totalCalls() - ec2Before;
  const dynamoRequests = [...world.dynamo.requests.values()].reduce((sum, count) => sum + count, 0);
  const lambdaSeconds = (handlerMs.responder + handlerMs.unbanner) / 1000;
  const usage = {
    lambdaGbSeconds: lambdaSeconds * LAMBDA_GB,
    lambdaInvocations: totals.invocations,
    dynamoWriteUnits: world.dynamo.writeUnits,
    dynamoReadUnits: world.dynamo.readUnits,
    logsBytes: totals.logsBytes,
  };
  const cost = costOf(usage);
  const perMillion = (usd: number, per: number) => ((usd / Math.max(1, per)) * 1e6).toFixed(4);
  const pct = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(2)}%`;
  const userRules = world.model
    .entriesOf(world.naclId)
    .filter((entry) => !entry.Egress && (entry.RuleNumber ?? 0) > 99).length;

  console.log(
    `attack: ${shape.addresses} addresses over ${shape.prefixes} /24s, ${shape.linesPerSecond} lines/s for ${shape.seconds} s ` +
      `(${totals.generated} failed logins), batches every ${BATCH_SECONDS} s, quota ${QUOTA}, aggregation ${AGGREGATE ? "on" : "off"}, ` +
      `overflow ${OVERFLOW ? "Network Firewall" : "none"}; ` +
      `wall ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log("| measure | value |\n| --- | ---: |");
  console.log(
    `| attack lines stopped (source already blocked) | ${totals.stopped} = ${pct(totals.stopped, totals.generated)}` +
      `${OVERFLOW ? `, of which by the overflow target ${totals.stoppedByOverflow}` : ""} |`,
  );
  console.log(
    `| lines delivered to the responder | ${totals.delivered} in ${totals.invocations} invocations |`,
  );
  console.log(
    `| delivered lines from sources already banned (ban pending or not yet applied) | ${totals.reported} = ${pct(totals.reported, totals.delivered)} |`,
  );
  console.log(`| bans | ${totals.bans} of ${shape.addresses} sources |`);
  console.log(
    `| NACL ingress entries used, at most (quota ${QUOTA}, default rule included) | ${maxEntries} |`,
  );
  console.log(`| user rules outside the reserved range at the end | ${userRules} |`);
  console.log(
    `| DynamoDB requests | ${dynamoRequests} (${[...world.dynamo.requests].map(([name, count]) => `${name.replace("Command", "")} ${count}`).join(", ")}) |`,
  );
  console.log(
    `| DynamoDB units | ${world.dynamo.writeUnits.toFixed(0)} WRU, ${world.dynamo.readUnits.toFixed(0)} RRU${world.dynamo.estimated > 0 ? ` (${world.dynamo.estimated} requests estimated)` : ""} |`,
  );
  console.log(
    `| responder DynamoDB requests per distinct source IP of its batch | ${(perIp.requests / Math.max(1, perIp.distinctIps)).toFixed(3)} on average, ${perIp.worst.toFixed(3)} in the worst batch (${perIp.worstBatch}) |`,
  );
  console.log(`| EC2 requests | ${ec2Calls} |`);
  if (OVERFLOW) {
    console.log(
      `| Network Firewall requests; CIDRs held at the end | ${world.overflowCalls()}; ${world.overflowBlocks().length} |`,
    );
  }
  console.log(
    `| handler time (measured, in-process servers included) | responder ${(handlerMs.responder / 1000).toFixed(1)} s, unbanner ${(handlerMs.unbanner / 1000).toFixed(1)} s = ${(usage.lambdaGbSeconds).toFixed(1)} GB-s at 256 MB |`,
  );
  console.log(
    `| cost (USD, ${PRICES.region}, prices of ${PRICES.lookedUp}) | Lambda ${cost.lambda.toFixed(4)}, DynamoDB ${cost.dynamodb.toFixed(4)}, Logs ingestion ${cost.logs.toFixed(4)}, total ${cost.total.toFixed(4)} |`,
  );
  console.log(
    `| cost per million failed logins attempted | ${perMillion(cost.total, totals.generated)} USD (per million delivered: ${perMillion(cost.total, totals.delivered)}) |`,
  );
  await world.close();
}

/** CIDRs of cloudjail's ingress entries (reserved range 1-99) in a NACL. */
function ownedBlocks(
  entries: readonly { Egress?: boolean; RuleNumber?: number; CidrBlock?: string; Ipv6CidrBlock?: string }[],
) {
  return entries
    .filter((entry) => !entry.Egress && (entry.RuleNumber ?? 0) >= 1 && (entry.RuleNumber ?? 0) <= 99)
    .map((entry) => parseCidr(entry.CidrBlock ?? entry.Ipv6CidrBlock ?? ""));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
