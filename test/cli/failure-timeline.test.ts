import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FailureTimeline } from "../../bin/cli/failure-timeline";

describe("FailureTimeline", () => {
  it("hands failures back earliest first, keeping the order of addition on ties", () => {
    const timeline = new FailureTimeline();
    timeline.add(0, "203.0.113.1", 30);
    timeline.add(1, "203.0.113.2", 10);
    timeline.add(0, "203.0.113.3", 10);
    timeline.add(1, "2001:db8::1", 20);
    expect([...timeline.inOrder()]).toEqual([
      { jail: 1, ip: "203.0.113.2", at: 10 },
      { jail: 0, ip: "203.0.113.3", at: 10 },
      { jail: 1, ip: "2001:db8::1", at: 20 },
      { jail: 0, ip: "203.0.113.1", at: 30 },
    ]);
    expect(timeline.lastTime).toBe(30);
    expect(timeline.firstTime).toBe(10);
  });

  it("has no last time when empty", () => {
    expect(new FailureTimeline().lastTime).toBeUndefined();
    expect(new FailureTimeline().firstTime).toBeUndefined();
  });

  it("orders any number of failures as a stable sort by time does", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            jail: fc.nat(3),
            ip: fc.constantFrom("a", "b", "c"),
            at: fc.integer({ min: 0, max: 100 }),
          }),
          {
            maxLength: 3000,
          },
        ),
        (failures) => {
          const timeline = new FailureTimeline();
          for (const failure of failures) timeline.add(failure.jail, failure.ip, failure.at);
          expect([...timeline.inOrder()]).toEqual([...failures].sort((a, b) => a.at - b.at));
          expect(timeline.size).toBe(failures.length);
        },
      ),
      { numRuns: 50 },
    );
  });
});
