import { describe, expect, it } from "vitest";
import { parseConfigJson } from "../../lambda/core/config";
import { DEFAULT_AGGREGATION } from "../../lambda/core/nacl-settings";

const jails = { sshd: { filter: "sshd" } };

describe("aggregation settings in the JSON configuration", () => {
  it("are off unless asked for, and `true` takes the defaults", () => {
    expect(parseConfigJson({ jails }, "test").nacl.aggregation).toBeUndefined();
    expect(parseConfigJson({ jails, nacl: { aggregation: true } }, "test").nacl.aggregation).toEqual(
      DEFAULT_AGGREGATION,
    );
  });

  it("take the fields given, and survive being resolved twice", () => {
    const once = parseConfigJson(
      {
        jails,
        nacl: { aggregation: { ipv4WidestPrefix: 20, threshold: 5 }, protectedCidrs: ["10.0.1.7/16"] },
      },
      "test",
    );
    expect(once.nacl.aggregation).toEqual({ ...DEFAULT_AGGREGATION, ipv4WidestPrefix: 20, threshold: 5 });
    expect(once.nacl.protectedCidrs).toEqual(["10.0.0.0/16"]);
    expect(parseConfigJson(JSON.parse(JSON.stringify(once)), "again")).toEqual(once);
  });

  it("refuse a widest prefix narrower than the covering prefix, naming the key", () => {
    expect(() =>
      parseConfigJson({ jails, nacl: { aggregation: { ipv4Prefix: 24, ipv4WidestPrefix: 28 } } }, "cfg.json"),
    ).toThrow(/cfg\.json: nacl\.aggregation: .*widest prefix/);
    expect(() => parseConfigJson({ jails, nacl: { protectedCidrs: ["10.0.0.0/33"] } }, "cfg.json")).toThrow(
      /nacl\.protectedCidrs/,
    );
  });
});
