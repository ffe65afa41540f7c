import { describe, expect, it } from "vitest";
import { ProgressBar } from "../../bin/local/demo-progress";

function terminal(isTTY: boolean) {
  const writes: string[] = [];
  return { stream: { isTTY, columns: 80, write: (text: string) => writes.push(text) > 0 }, writes };
}

describe("ProgressBar", () => {
  it("draws a bar on a terminal, at most every 100 ms", () => {
    let now = 1_000;
    const { stream, writes } = terminal(true);
    const bar = new ProgressBar(stream, 1_000, () => now);
    bar.update(400, 5_120, 3);
    expect(writes).toEqual([`\r[########------------]  40%  5,120 lines  3 bans`]);
    now += 50;
    bar.update(500, 6_000, 3);
    expect(writes).toHaveLength(1);
    now += 100;
    bar.update(1_000, 9_000, 4);
    expect(writes[1]).toBe(`\r[####################] 100%  9,000 lines  4 bans`);
  });

  it("prints nothing on a pipe or in CI, and nothing for standard input of unknown size", () => {
    const pipe = terminal(false);
    new ProgressBar(pipe.stream, 1_000, () => 0).update(500, 10, 0);
    const stdin = terminal(true);
    new ProgressBar(stdin.stream, undefined, () => 0).update(500, 10, 0);
    expect([...pipe.writes, ...stdin.writes]).toEqual([]);
  });

  it("takes the bar away before a timeline line and draws it again after", () => {
    const { stream, writes } = terminal(true);
    const bar = new ProgressBar(stream, 100, () => 1_000);
    bar.update(50, 1, 0);
    const printed: string[] = [];
    bar.print((text) => printed.push(text), "11:55:46  BAN    203.0.113.10\n");
    expect(printed).toEqual(["11:55:46  BAN    203.0.113.10\n"]);
    expect(writes[1]).toMatch(/^\r +\r$/);
    expect(writes[2]).toMatch(/^\r\[#+-+\] {2}50%/);
  });
});
