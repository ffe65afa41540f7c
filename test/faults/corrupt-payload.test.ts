import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { PayloadError } from "../../lambda/handlers/decode";
import { respond } from "../../lambda/handlers/respond";
import { useDynalite } from "../support/dynalite";
import { expectTableAndNaclsAgree } from "../support/invariants";
import { attackLines, createWorld, logsEvent, T0, type World } from "../support/runtime-world";

const db = useDynalite();
let world: World;
afterEach(() => world?.restore());

describe("a corrupt payload", () => {
  const corrupt: [string, unknown][] = [
    [
      "truncated gzip",
      {
        awslogs: {
          data: logsEvent(attackLines(["203.0.113.9"], 5), { logStream: "i-1" }).awslogs.data.slice(0, 60),
        },
      },
    ],
    ["gzip of something that is not JSON", { awslogs: { data: gzipSync("<html>").toString("base64") } }],
    [
      "JSON of the wrong shape",
      { awslogs: { data: gzipSync(JSON.stringify({ messageType: "DATA_MESSAGE" })).toString("base64") } },
    ],
    ["an event that is not a subscription event", { detail: {} }],
  ];

  it.each(corrupt)("fails the invocation with a log line saying why: %s", async (_name, event) => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    const ec2Calls = world.model.totalCalls();
    await expect(respond(runtime, event, T0)).rejects.toBeInstanceOf(PayloadError);
    const logged = recorder.logs.filter((log) => log.level === "error");
    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toMatch(/corrupt payload/);
    expect(logged[0]?.fields.reason).toMatch(/gzip|JSON|shape|awslogs/);
    expect(recorder.dynamoRequests.size).toBe(0);
    expect(world.model.totalCalls()).toBe(ec2Calls);
    await expectTableAndNaclsAgree(world, runtime);
  });
});
