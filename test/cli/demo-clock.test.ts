import { describe, expect, it } from "vitest";
import { DemoClock } from "../../bin/local/demo-clock";

const minute = 60_000;
const start = Date.UTC(2026, 10, 25, 11, 55, 46);

describe("DemoClock", () => {
  it("runs the unbanner at every whole minute the log's time crosses, reading that minute while it runs", async () => {
    const clock = new DemoClock(start);
    const runs: Array<[number, number]> = [];
    await clock.advanceTo(start + 3 * minute, async (at) => {
      runs.push([at, clock.now()]);
    });
    const first = Date.UTC(2026, 10, 25, 11, 56, 0);
    expect(runs).toEqual([
      [first, first],
      [first + minute, first + minute],
      [first + 2 * minute, first + 2 * minute],
    ]);
    expect(clock.now()).toBe(start + 3 * minute);
  });

  it("never goes back when a line carries an earlier time", async () => {
    const clock = new DemoClock(start);
    await clock.advanceTo(start + 10_000, async () => {});
    await clock.advanceTo(start, async () => {
      throw new Error("no schedule time lies in the past");
    });
    expect(clock.now()).toBe(start + 10_000);
  });

  it("fires nothing until the next whole interval", async () => {
    const clock = new DemoClock(start);
    let runs = 0;
    await clock.advanceTo(Date.UTC(2026, 10, 25, 11, 55, 59, 999), async () => {
      runs += 1;
    });
    expect(runs).toBe(0);
    expect(clock.nextScheduledRun).toBe(Date.UTC(2026, 10, 25, 11, 56, 0));
  });
});
