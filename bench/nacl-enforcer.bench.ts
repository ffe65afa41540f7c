/**
 * NACL enforcement costs, against the local NACL model behind the loopback EC2 endpoint (the real EC2Client over
 * HTTP): wall time per ban and EC2 calls per ban, without and with throttling. Results go to docs/nacl.md.
 */
import { EC2Client } from "@aws-sdk/client-ec2";
import { startEc2Endpoint } from "../bin/local/ec2-endpoint";
import { NaclModel } from "../bin/local/nacl-model";
import { Ec2NaclEnforcer } from "../lambda/aws/nacl-enforcer";
import { NaclResolver } from "../lambda/aws/nacl-resolver";
import { testRetryStrategy } from "../test/support/sdk-retry";

const BANS = 1000;

async function run(label: string, throttleProbability: number): Promise<void> {
  const model = new NaclModel({ quota: 40, seed: 42 });
  const vpcId = model.addVpc({ cidrBlock: "10.0.0.0/16" });
  const naclId = model.addNacl({ vpcId });
  const subnetId = model.addSubnet({ vpcId, cidrBlock: "10.0.1.0/24", naclId });
  const instanceId = model.addInstance({ subnetId, instanceId: "i-0123456789abcdef0" });
  const endpoint = await startEc2Endpoint(model);
  const client = new EC2Client({
    region: "us-east-1",
    endpoint: endpoint.url,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    // The SDK's adaptive retries (12 attempts), without their waits: the bench counts calls, not backoff time.
    retryStrategy: testRetryStrategy(12).strategy,
  });
  const enforcer = new Ec2NaclEnforcer(client, { reservedRuleRange: { first: 1, last: 39 } });
  const resolver = new NaclResolver(client, {
    settings: { scope: "subnet", vpcIds: [vpcId] },
    now: () => 0,
  });
  model.throttleRandomly(throttleProbability);
  const started = process.hrtime.bigint();
  // Each ban: resolve the target NACL (cached), add the entry, then lift it so the 39-slot range never fills.
  for (let ban = 0; ban < BANS; ban += 1) {
    const { naclIds } = await resolver.resolve(instanceId);
    const ruleNumber = (ban % 39) + 1;
    for (const target of naclIds) {
      await enforcer.addDeny({ naclId: target, ruleNumber, cidr: `198.51.${ban >> 8}.${ban & 255}/32` });
      await enforcer.removeEntry(target, ruleNumber);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await endpoint.close();
  const writes = model.calls.CreateNetworkAclEntry;
  console.log(
    `${label}: ${BANS} bans + ${BANS} unbans in ${seconds.toFixed(2)} s ` +
      `(${((seconds * 1000) / (2 * BANS)).toFixed(2)} ms per NACL write over HTTP); ` +
      `CreateNetworkAclEntry calls per ban ${(writes / BANS).toFixed(3)}, ` +
      `all EC2 calls per ban+unban ${((enforcer.stats.calls + resolver.calls) / BANS).toFixed(3)}, ` +
      `throttled ${model.throttledCalls}, retries ${enforcer.stats.retries}`,
  );
}

async function main(): Promise<void> {
  await run("no throttling", 0);
  await run("10% of calls throttled", 0.1);
  await run("33% of calls throttled", 1 / 3);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
