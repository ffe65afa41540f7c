import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalIp } from "../../../lambda/core/ip";
import { detect, secure } from "./helpers";

/** The detector's fast path for dotted quads must agree with canonicalIp, the one IP module, on every text. */
describe("addresses read by the detector", () => {
  const octet = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map(String),
    fc.constantFrom("00", "01", "256", "999", "0001", ""),
  );
  const dotted = fc.array(octet, { minLength: 3, maxLength: 5 }).map((octets) => octets.join("."));
  const mapped = dotted.map((quad) => `::ffff:${quad}`);
  const hexy = fc.stringMatching(/^[0-9a-fA-F:.]{1,45}$/);

  it("is canonicalIp's answer for dotted quads, mapped addresses and any address-like text", () => {
    fc.assert(
      fc.property(fc.oneof(dotted, mapped, hexy), (raw) => {
        const { ips } = detect([secure(1, `Failed password for root from ${raw} port 22 ssh2`)]);
        const expected = canonicalIp(raw);
        expect(ips).toEqual(expected === undefined ? [] : [expected]);
      }),
      { numRuns: 2000 },
    );
    // Each run builds a detector (its connection table is a few MB): about 50 s on the shared 2-core machine.
  }, 120_000);
});
