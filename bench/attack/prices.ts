/**
 * AWS public prices the attack simulator's cost estimate uses: us-east-1, looked up 2026-11-25 (sources in
 * docs/benchmarks.md, "attack simulator"). Change them here, nowhere else.
 */
export const PRICES = {
  region: "us-east-1",
  lookedUp: "2026-11-25",
  /** Lambda arm64 duration, USD per GB-second (first 7.5 billion GB-s a month). */
  lambdaArmGbSecond: 0.0000133334,
  /** Lambda requests, USD per invocation ($0.20 per million). */
  lambdaRequest: 0.2 / 1e6,
  /** DynamoDB on-demand write request unit, USD ($0.625 per million). */
  dynamoWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand read request unit, USD ($0.125 per million). */
  dynamoReadUnit: 0.125 / 1e6,
  /** CloudWatch Logs ingestion, standard log class, USD per GB. */
  logsIngestionGb: 0.5,
  /** CloudWatch Logs bills each event as its message plus 26 bytes. */
  logsEventOverheadBytes: 26,
} as const;

/** What one run used, in billable units. */
export interface Usage {
  readonly lambdaGbSeconds: number;
  readonly lambdaInvocations: number;
  readonly dynamoWriteUnits: number;
  readonly dynamoReadUnits: number;
  readonly logsBytes: number;
}

/** USD per item of `usage`, and the total. */
export function costOf(usage: Usage): Record<"lambda" | "dynamodb" | "logs" | "total", number> {
  const lambda =
    usage.lambdaGbSeconds * PRICES.lambdaArmGbSecond + usage.lambdaInvocations * PRICES.lambdaRequest;
  const dynamodb =
    usage.dynamoWriteUnits * PRICES.dynamoWriteUnit + usage.dynamoReadUnits * PRICES.dynamoReadUnit;
  const logs = (usage.logsBytes / 1e9) * PRICES.logsIngestionGb;
  return { lambda, dynamodb, logs, total: lambda + dynamodb + logs };
}
