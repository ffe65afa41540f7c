import { isAscii } from "node:buffer";

/**
 * Streams the lines of a byte stream without ever holding more than one chunk plus one line: memory stays
 * flat on a 1 GB log. Complete lines of a chunk are decoded in one call and cut with indexOf,
 * which is several times faster than `readline`. A line longer than `maxLength` bytes that does not end in
 * the current chunk is not kept: its first `maxLength + 1` bytes are passed on (so the consumer sees that it
 * is too long) and the rest is dropped up to the next newline.
 */
export async function forEachLine(
  input: AsyncIterable<Buffer | string>,
  maxLength: number,
  visit: (text: string, line: number) => void,
  /** Awaited after each chunk (e.g. to flush output with back-pressure); reading waits for it. */
  afterChunk?: () => Promise<void>,
): Promise<number> {
  let line = 0;
  let carry: Buffer | undefined;
  let discarding = false;
  for await (const piece of input) {
    const chunk = typeof piece === "string" ? Buffer.from(piece) : piece;
    const buffer = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
    carry = undefined;
    let start = 0;
    if (discarding) {
      const newline = buffer.indexOf(10);
      if (newline === -1) continue;
      start = newline + 1;
      discarding = false;
    }
    const lastNewline = buffer.lastIndexOf(10);
    if (lastNewline >= start) {
      const block = buffer.subarray(start, lastNewline);
      // Logs are nearly always ASCII, and decoding ASCII as latin1 is many times faster than as UTF-8.
      const text = isAscii(block) ? block.toString("latin1") : block.toString("utf8");
      let from = 0;
      for (let newline = text.indexOf("\n"); newline !== -1; newline = text.indexOf("\n", from)) {
        visit(text.slice(from, newline), ++line);
        from = newline + 1;
      }
      visit(text.slice(from), ++line);
      start = lastNewline + 1;
    }
    const rest = buffer.length - start;
    if (rest > maxLength) {
      visit(buffer.toString("latin1", start, start + maxLength + 1), ++line);
      discarding = true;
    } else if (rest > 0) {
      carry = Buffer.from(buffer.subarray(start));
    }
    if (afterChunk !== undefined) await afterChunk();
  }
  if (carry !== undefined) visit(carry.toString("utf8"), ++line);
  return line;
}
