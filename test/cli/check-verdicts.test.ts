import { describe, expect, it } from "vitest";
import {
  formatCheck,
  functionVerdict,
  stackVerdict,
  subscriptionVerdict,
  tableVerdict,
  topicVerdict,
} from "../../bin/cli/check-verdicts";

const expected = { keys: ["pk", "sk"], index: "bansByEnd" };
const RESPONDER = "arn:aws:lambda:eu-west-1:123456789012:function:Cloudjail-Responder";

describe("doctor's verdicts", () => {
  it("waits for a deployment under way instead of calling the stack healthy", () => {
    expect(formatCheck(stackVerdict("Cloudjail", "UPDATE_IN_PROGRESS"))).toBe(
      "FAIL  stack Cloudjail: UPDATE_IN_PROGRESS -> a deployment is under way: run this again when it has finished",
    );
    expect(stackVerdict("Cloudjail", "CREATE_COMPLETE").ok).toBe(true);
  });

  it("fails a table whose index is still being built, or whose keys are not cloudjail's", () => {
    const table = (indexStatus: string, keys = ["pk", "sk"]) =>
      tableVerdict(
        "T",
        { status: "ACTIVE", keys, indexes: [{ name: "bansByEnd", status: indexStatus }] },
        expected,
      );
    expect(table("CREATING").detail).toBe("index bansByEnd is CREATING");
    expect(table("ACTIVE", ["id"]).detail).toBe("keys id, not pk, sk");
    expect(table("ACTIVE").ok).toBe(true);
    expect(tableVerdict("T", { status: "ACTIVE", keys: ["pk", "sk"], indexes: [] }, expected).detail).toBe(
      "no index bansByEnd",
    );
  });

  it("accepts a filter to the responder's alias, and explains the two-filter limit when both are taken", () => {
    expect(
      subscriptionVerdict("g", [{ filterName: "cj", destinationArn: `${RESPONDER}:live` }], RESPONDER).ok,
    ).toBe(true);
    const full = subscriptionVerdict(
      "g",
      [
        { filterName: "a", destinationArn: "arn:aws:firehose:eu-west-1:1:deliverystream/a" },
        { filterName: "b", destinationArn: "arn:aws:lambda:eu-west-1:1:function:other" },
      ],
      RESPONDER,
    );
    expect(full.fix).toMatch(/a log group takes two subscription filters: remove one/);
    // A prefix of another function's name is not the responder.
    expect(subscriptionVerdict("g", [{ destinationArn: `${RESPONDER}Two` }], RESPONDER).ok).toBe(false);
  });

  it("says how to subscribe when a topic has no subscriber at all", () => {
    const verdict = topicVerdict("arn:aws:sns:eu-west-1:1:t", []);
    expect(verdict.ok).toBe(false);
    expect(verdict.fix).toMatch(/^aws sns subscribe --topic-arn arn:aws:sns:eu-west-1:1:t --protocol email/);
  });

  it("fails a function that is not Active or whose last update failed", () => {
    const facts = { errors: 0, throttles: 0 };
    expect(functionVerdict("responder", "R", { ...facts, state: "Inactive" }, "1h").detail).toBe(
      "state Inactive",
    );
    expect(functionVerdict("responder", "R", { ...facts, lastUpdateStatus: "Failed" }, "1h").ok).toBe(false);
    expect(functionVerdict("responder", "R", undefined, "1h").detail).toBe("does not exist");
  });
});
