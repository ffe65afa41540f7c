/**
 * `npm run bench responder`: the responder on a 10,000-line burst from 100 IPs, against dynalite (a real DynamoDB
 * API server, in process) and the NACL model behind the loopback EC2 Query API endpoint: the unchanged SDK code
 * of the Lambdas, over HTTP. Reports wall time, DynamoDB requests per log line (target <= 0.05) and EC2 calls per
 * ban, then runs one unbanner pass and checks that the table and the NACL agree.
 *
 * Options (environment): BENCH_LINES (10000), BENCH_IPS (100), BENCH_BATCH (2500 lines per invocation, as
 * CloudWatch Logs groups a burst), BENCH_QUOTA (20), BENCH_PARALLEL (1 = batches one after another).
 */

import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { startEc2Endpoint } from "../bin/local/ec2-endpoint";
import { NaclModel } from "../bin/local/nacl-model";
import { SILENT_NOTIFIER } from "../lambda/aws/notifier";
import { SDK_RETRY } from "../lambda/aws/sdk-retry";
import { DEFAULT_NACL_SETTINGS } from "../lambda/core/config";
import type { CloudjailConfig } from "../lambda/core/types";
import { encodeLogsEvent } from "../lambda/handlers/decode";
import { respond } from "../lambda/handlers/respond";
import { createRuntime } from "../lambda/handlers/runtime";
import { unban } from "../lambda/handlers/unban";
import { LOCAL_CREDENTIALS, startDynalite } from "../test/support/dynalite";
import { sshdJail } from "../test/support/jails";

const LINES = Number(process.env.BENCH_LINES ?? 10_000);
const IPS = Number(process.env.BENCH_IPS ?? 100);
const BATCH = Number(process.env.BENCH_BATCH ?? 2_500);
const QUOTA = Number(process.env.BENCH_QUOTA ?? 20);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 1);
const T0 = Date.parse("2026-11-25T12:00:00Z");

function syslogLine(ip: string, at: number, pid: number): string {
  const date = new Date(at);
  const stamp = `Nov ${String(date.getUTCDate()).padStart(2, " ")} ${date.toISOString().slice(11, 19)}`;
  return pid % 3 === 0
    ? `${stamp} web-1 sshd[${pid}]: Failed password for invalid user admin from ${ip} port ${30000 + (pid % 30000)} ssh2`
    : `${stamp} web-1 sshd[${pid}]: Failed password for root from ${ip} port ${30000 + (pid % 30000)} ssh2`;
}

/** The burst: LINES lines over 100 s, sources interleaved in a fixed pseudo-random order (seeded). */
function burst(): string[] {
  const ips = Array.from({ length: IPS }, (_, index) => `203.0.${113 + (index >> 8)}.${index & 255}`);
  let seed = 7;
  const lines: string[] = [];
  for (let index = 0; index < LINES; index++) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    const ip = ips[index < IPS ? index : (seed >>> 8) % IPS] as string;
    lines.push(syslogLine(ip, T0 - 100_000 + Math.floor((index * 100_000) / LINES), 10_000 + index));
  }
  return lines;
}

async function main(): Promise<void> {
  const db = await startDynalite({ tableName: "bench" });
  const model = new NaclModel({ quota: QUOTA });
  const vpcId = model.addVpc({ cidrBlock: "10.0.0.0/16" });
  const endpoint = await startEc2Endpoint(model);
  const dynamoRequests = { count: 0 };
  const dynamodb = new DynamoDBClient({
    endpoint: db.endpoint,
    region: "us-east-1",
    credentials: LOCAL_CREDENTIALS,
  });
  dynamodb.middlewareStack.add(
    (next) => async (args) => {
      dynamoRequests.count++;
      return next(args);
    },
    { step: "initialize", name: "countRequests" },
  );
  const ec2 = new EC2Client({
    endpoint: endpoint.url,
    region: "us-east-1",
    credentials: LOCAL_CREDENTIALS,
    ...SDK_RETRY,
  });
  const config: CloudjailConfig = {
    // The seed article's jail; the simulated attackers never come from loopback.
    jails: [sshdJail({ ignoreip: ["127.0.0.1/8"] })],
    nacl: { ...DEFAULT_NACL_SETTINGS, vpcIds: [vpcId], quota: QUOTA },
  };
  const silentMetrics = new Metrics({ namespace: "Cloudjail", serviceName: "bench" });
  silentMetrics.publishStoredMetrics = () => silentMetrics;
  const newRuntime = () =>
    createRuntime(
      { tableName: db.tableName, config },
      { dynamodb, ec2 },
      {
        logger: new Logger({ serviceName: "bench", logLevel: "SILENT" }),
        metrics: silentMetrics,
        notifier: SILENT_NOTIFIER,
        clock: () => T0,
      },
    );

  const lines = burst();
  const batches: string[][] = [];
  for (let start = 0; start < lines.length; start += BATCH) batches.push(lines.slice(start, start + BATCH));
  const events = batches.map((batch, batchIndex) =>
    encodeLogsEvent({
      messageType: "DATA_MESSAGE",
      owner: "123456789012",
      logGroup: "/cloudjail/auth",
      logStream: "i-0123456789abcdef0",
      subscriptionFilters: ["cloudjail"],
      logEvents: batch.map((message, index) => ({
        id: `${String(batchIndex).padStart(12, "0")}${String(index).padStart(10, "0")}`,
        timestamp: T0 - 1000,
        message,
      })),
    }),
  );
  const runtimes = Array.from({ length: PARALLEL }, newRuntime);
  const ec2Before = model.totalCalls();
  const callsBefore = { ...model.calls };
  const started = process.hrtime.bigint();
  const summaries = [];
  const waveMs: string[] = [];
  for (let start = 0; start < events.length; start += PARALLEL) {
    const wave = events.slice(start, start + PARALLEL);
    const waveStart = process.hrtime.bigint();
    summaries.push(
      ...(await Promise.all(wave.map((event, index) => respond(runtimes[index] ?? newRuntime(), event, T0)))),
    );
    waveMs.push((Number(process.hrtime.bigint() - waveStart) / 1e6).toFixed(0));
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const ec2Calls = model.totalCalls() - ec2Before;
  const ec2ByAction = Object.entries(model.calls)
    .map(
      ([action, calls]) => [action, calls - (callsBefore[action as keyof typeof callsBefore] ?? 0)] as const,
    )
    .filter(([, calls]) => calls > 0)
    .map(([action, calls]) => `${action} ${calls}`)
    .join(", ");
  const dynamoCalls = dynamoRequests.count;
  const bans = summaries.flatMap((summary) => summary.bans);
  const pending = summaries.flatMap((summary) => summary.pending);
  const counted = summaries.reduce((sum, summary) => sum + summary.failures + summary.reported, 0);
  const enforced = bans.length - pending.length;

  const unbannerStart = process.hrtime.bigint();
  const reconcile = await unban(newRuntime(), T0 + 60_000);
  const unbannerMs = Number(process.hrtime.bigint() - unbannerStart) / 1e6;
  const naclId = model.defaultNaclOf(vpcId);
  const owned = model.entriesOf(naclId).filter((entry) => !entry.Egress && (entry.RuleNumber ?? 0) <= 99);
  const sources = new Set(
    lines.map((line) => line.slice(line.lastIndexOf(" from ") + 6, line.indexOf(" port "))),
  );
  const agrees =
    sources.size === IPS &&
    bans.length === IPS &&
    owned.length === enforced &&
    reconcile.reconcile.removedEntries === 0 &&
    reconcile.reconcile.adoptedEntries === 0;

  const perLine = dynamoCalls / LINES;
  console.log(
    `responder burst: ${LINES} lines from ${sources.size} IPs in ${batches.length} invocation(s) of <= ${BATCH} lines, ${PARALLEL} at a time`,
  );
  console.log(`| measure | value |\n| --- | ---: |`);
  console.log(
    `| wall time, all invocations | ${wallMs.toFixed(0)} ms (${((LINES / wallMs) * 1000).toFixed(0)} lines/s); per invocation ${waveMs.join(", ")} ms |`,
  );
  console.log(`| failures counted or reported | ${counted} |`);
  console.log(
    `| bans | ${bans.length} (${enforced} in the NACL, ${pending.length} pending: quota ${QUOTA}) |`,
  );
  console.log(`| DynamoDB requests | ${dynamoCalls} = ${perLine.toFixed(4)} per line (target <= 0.05) |`);
  console.log(
    `| EC2 calls | ${ec2Calls} = ${(ec2Calls / Math.max(1, enforced)).toFixed(2)} per enforced ban, ${(ec2Calls / Math.max(1, bans.length)).toFixed(2)} per ban (${ec2ByAction}) |`,
  );
  console.log(
    `| unbanner pass after the burst | ${unbannerMs.toFixed(0)} ms, ${reconcile.reconcile.activeBans} active bans, drift ${reconcile.reconcile.removedEntries + reconcile.reconcile.adoptedEntries} |`,
  );
  console.log(
    `| table and NACL agree | ${agrees ? "yes" : "NO"} (${owned.length} entries in the reserved range) |`,
  );

  dynamodb.destroy();
  ec2.destroy();
  await endpoint.close();
  await db.stop();
  if (!agrees || perLine > 0.05 || counted !== LINES) process.exit(1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
