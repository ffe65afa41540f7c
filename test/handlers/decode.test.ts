import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  decodeLogsEvent,
  encodeLogsEvent,
  isControlMessage,
  type LogsPayload,
  PayloadError,
} from "../../lambda/handlers/decode";

const payload: LogsPayload = {
  messageType: "DATA_MESSAGE",
  owner: "123456789012",
  logGroup: "/cloudjail/auth",
  logStream: "i-0abc1234def567890",
  subscriptionFilters: ["cloudjail"],
  logEvents: [
    {
      id: "37916931389340289734512361478165789452648317046917611520",
      timestamp: 1_732_525_200_000,
      message: "Nov 25 09:00:00 web-1 sshd[4242]: Failed password for root from 203.0.113.9 port 50122 ssh2",
    },
  ],
};

function eventWithData(data: Buffer | string): unknown {
  return { awslogs: { data: typeof data === "string" ? data : data.toString("base64") } };
}

describe("decoding a CloudWatch Logs subscription event", () => {
  it("returns the batch CloudWatch Logs encoded (base64 of gzip of JSON)", () => {
    expect(decodeLogsEvent(encodeLogsEvent(payload))).toEqual(payload);
  });

  it("recognises the control message CloudWatch Logs sends when a subscription is created", () => {
    const control = {
      ...payload,
      messageType: "CONTROL_MESSAGE" as const,
      logEvents: [
        { id: "", timestamp: 1, message: "CWL CONTROL MESSAGE: Checking health of destination Lambda." },
      ],
    };
    expect(isControlMessage(decodeLogsEvent(encodeLogsEvent(control)))).toBe(true);
    expect(isControlMessage(payload)).toBe(false);
  });

  it("says the event has no awslogs.data when it is not a subscription event", () => {
    expect(() => decodeLogsEvent({ Records: [] })).toThrow(/no awslogs\.data/);
    expect(() => decodeLogsEvent(undefined)).toThrow(PayloadError);
  });

  it("says the data is not gzip when it is plain base64 text", () => {
    expect(() => decodeLogsEvent(eventWithData(Buffer.from("hello")))).toThrow(/not gzip/);
  });

  it("says the payload is not JSON when the gzip holds something else", () => {
    expect(() => decodeLogsEvent(eventWithData(gzipSync("not json")))).toThrow(/not JSON/);
  });

  it("names the field that breaks the expected shape", () => {
    const broken = { ...payload, logEvents: [{ id: "1", timestamp: "yesterday", message: "x" }] };
    expect(() => decodeLogsEvent(eventWithData(gzipSync(JSON.stringify(broken))))).toThrow(
      /logEvents\.0\.timestamp/,
    );
  });

  it("refuses data events without an id, since they could not be counted once", () => {
    const anonymous = { ...payload, logEvents: [{ id: "", timestamp: 1, message: "x" }] };
    expect(() => decodeLogsEvent(eventWithData(gzipSync(JSON.stringify(anonymous))))).toThrow(
      /logEvents\.0\.id is empty/,
    );
  });

  it("rejects an unknown message type", () => {
    const odd = { ...payload, messageType: "SURPRISE" };
    expect(() => decodeLogsEvent(eventWithData(gzipSync(JSON.stringify(odd))))).toThrow(/messageType/);
  });

  it("carries the failing step in the error's reason", () => {
    try {
      decodeLogsEvent(eventWithData("!!!!"));
      expect.unreachable("a corrupt payload must throw");
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadError);
      expect((error as PayloadError).reason).toMatch(/base64|gzip/);
    }
  });
});
