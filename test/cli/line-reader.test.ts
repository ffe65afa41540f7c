import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forEachLine } from "../../bin/cli/line-reader";

async function* chunksOf(bytes: Buffer, sizes: readonly number[]): AsyncGenerator<Buffer> {
  let offset = 0;
  let index = 0;
  while (offset < bytes.length) {
    const size = Math.max(1, sizes[index++ % sizes.length] ?? 1);
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

async function readLines(bytes: Buffer, sizes: readonly number[], maxLength = 8192): Promise<string[]> {
  const lines: string[] = [];
  await forEachLine(chunksOf(bytes, sizes), maxLength, (text, line) => {
    lines[line - 1] = text;
  });
  return lines;
}

describe("forEachLine", () => {
  it("gives every line of a large chunk, across its 60 KB decode windows, numbered from 1", async () => {
    const expected = Array.from({ length: 20_000 }, (_, index) => `line ${index} ${"x".repeat(index % 97)}`);
    const bytes = Buffer.from(`${expected.join("\n")}\n`);
    expect(bytes.length).toBeGreaterThan(1_000_000);
    expect(await readLines(bytes, [1 << 20])).toEqual(expected);
  });

  it("gives the same lines however the input is cut into chunks", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: fc.constantFrom("a", "b", " ", "é", "\r"), maxLength: 300 }), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 5 }),
        async (expected, sizes) => {
          const bytes = Buffer.from(expected.map((line) => `${line}\n`).join(""));
          expect(await readLines(bytes, sizes)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("passes on only the start of a line longer than the limit, so the caller can count it as skipped", async () => {
    const bytes = Buffer.from(`short\n${"y".repeat(100_000)}\nafter\n`);
    const lines = await readLines(bytes, [4096], 8192);
    expect(lines[0]).toBe("short");
    expect(lines[1]?.length).toBe(8193);
    expect(lines[2]).toBe("after");
  });
});
