import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { UsageError } from "./errors";

/**
 * The bytes of a log named on the command line, for `test-filter` and `replay`: a file, or `-` for standard input.
 * A gzip-compressed log (`secure-20261120.gz`, `zcat`-able rotations, concatenated members included) is
 * decompressed; bzip2, xz, zstd and UTF-16 text are refused with the command that makes them readable, never read
 * as zero lines. A UTF-8 byte-order mark at the start is dropped, so the first line reads like the others.
 */

const READ_CHUNK = 1 << 20;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Enough bytes to tell every format below apart. */
const SNIFF_BYTES = 6;

/** Formats that are refused, by their first bytes, with how to read them. */
const REFUSED: ReadonlyArray<{ magic: readonly number[]; what: string; command: string }> = [
  { magic: [0x42, 0x5a, 0x68], what: "bzip2-compressed", command: "bzcat" },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: "xz-compressed", command: "xzcat" },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: "zstd-compressed", command: "zstdcat" },
  { magic: [0xff, 0xfe], what: "UTF-16 text", command: "iconv -f UTF-16 -t UTF-8" },
  { magic: [0xfe, 0xff], what: "UTF-16 text", command: "iconv -f UTF-16 -t UTF-8" },
];
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Opens `name` (`-` = `stdin`). An unreadable file or a directory is a {@link UsageError} at once; the format is
 * known when the first bytes are read, and a refused one is a UsageError then.
 */
export function openLog(
  name: string,
  stdin: AsyncIterable<Buffer | string> = process.stdin,
): AsyncIterable<Buffer> {
  const label = name === "-" ? "standard input" : name;
  if (name === "-") return decoded(asBuffers(stdin), label, false);
  let fd: number;
  try {
    fd = openSync(name, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read ${name}: ${code === "ENOENT" ? "no such file" : (code ?? String(error))}`,
    );
  }
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new UsageError(`cannot read ${name}: it is a directory`);
  }
  return decoded(fileChunks(fd), label, true);
}

/**
 * The file's bytes in chunks read into one reused buffer: a consumer is done with a chunk before it asks for the
 * next, and a fresh 1 MB buffer per read costs page faults (about 10% of test-filter's CPU time on a 1M-line log).
 */
async function* fileChunks(fd: number): AsyncGenerator<Buffer> {
  const buffer = Buffer.allocUnsafe(READ_CHUNK);
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, READ_CHUNK, null);
      if (read === 0) return;
      yield buffer.subarray(0, read);
    }
  } finally {
    closeSync(fd);
  }
}

async function* asBuffers(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  for await (const chunk of input) yield typeof chunk === "string" ? Buffer.from(chunk) : chunk;
}

/** Sniffs the first bytes, then passes the rest on as text bytes: plain, or gunzipped. */
async function* decoded(
  raw: AsyncIterable<Buffer>,
  label: string,
  reusesBuffer: boolean,
): AsyncGenerator<Buffer> {
  const { head, rest } = await peek(raw, SNIFF_BYTES);
  const refused = REFUSED.find(({ magic }) => startsWith(head, magic));
  if (refused !== undefined) {
    throw new UsageError(
      `${label} is ${refused.what}, which cloudjail does not read: ${refused.command} it into a pipe, ` +
        `e.g. "${refused.command} FILE | cloudjail replay - ..."`,
    );
  }
  if (startsWith(head, GZIP_MAGIC)) {
    yield* withoutBom(gunzipped(head, rest, label, reusesBuffer));
    return;
  }
  yield* withoutBom(prepend(head, rest));
}

/** The first `bytes` bytes (fewer at the end of the input), copied, and an iterable of what follows. */
async function peek(
  input: AsyncIterable<Buffer>,
  bytes: number,
): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const iterator = input[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < bytes && !ended) {
    const next = await iterator.next();
    if (next.done) ended = true;
    else {
      // Copied: a file's chunks share one buffer that the next read overwrites.
      parts.push(Buffer.from(next.value));
      size += next.value.length;
    }
  }
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => (ended ? emptyIterator() : iterator),
  };
  return { head: Buffer.concat(parts), rest };
}

async function* prepend(head: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  yield* rest;
}

async function* gunzipped(
  head: Buffer,
  rest: AsyncIterable<Buffer>,
  label: string,
  reusesBuffer: boolean,
): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  const source = Readable.from(copies(prepend(head, rest), reusesBuffer), { objectMode: false });
  const feeding = pipeline(source, gunzip);
  // The consumer below sees any error of the pipeline; this keeps it from also being an unhandled rejection.
  feeding.catch(() => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
    await feeding;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `${label}: the gzip data is damaged or cut short (${(error as Error).message}); the lines before that point were read`,
    );
  }
}

/** The stream below keeps chunks until zlib takes them: a reused buffer must be copied first. */
async function* copies(input: AsyncIterable<Buffer>, reusesBuffer: boolean): AsyncGenerator<Buffer> {
  for await (const chunk of input) yield reusesBuffer ? Buffer.from(chunk) : chunk;
}

/** Drops a UTF-8 byte-order mark at the very start, even when it arrives split over chunks. */
async function* withoutBom(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const { head, rest } = await peek(input, UTF8_BOM.length);
  const body = startsWith(head, [...UTF8_BOM]) ? head.subarray(UTF8_BOM.length) : head;
  yield* prepend(body, rest);
}

function startsWith(bytes: Buffer, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((byte, index) => bytes[index] === byte);
}

function emptyIterator(): AsyncIterator<Buffer> {
  return { next: async () => ({ done: true, value: undefined }) };
}
