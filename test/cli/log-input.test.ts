import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../bin/cli/errors";
import { openLog } from "../../bin/cli/log-input";
import { runReplay } from "../../bin/cli/replay";
import { runTestFilter } from "../../bin/cli/test-filter";

const ROOT = join(__dirname, "../..");
/** A real capture (test/fixtures/sshd/README.md): RHEL-style /var/log/secure of loopback attackers. */
const SECURE = join(ROOT, "test/fixtures/sshd/password-failures.secure.log");
const CAPTURE = readFileSync(SECURE);
const scratch = mkdtempSync(join(tmpdir(), "cloudjail-log-input-"));
const NOW = Date.UTC(2026, 11, 31);

function file(name: string, bytes: Buffer | string): string {
  const path = join(scratch, name);
  writeFileSync(path, bytes);
  return path;
}

async function bytesOf(input: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of input) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** `cloudjail test-filter <log> --out ip`: one line per counted failure. */
async function addresses(log: string, stdin?: Readable): Promise<string> {
  const output = new PassThrough();
  const parts: Buffer[] = [];
  output.on("data", (chunk: Buffer) => parts.push(chunk));
  const original = process.stdin;
  if (stdin) Object.defineProperty(process, "stdin", { value: stdin, configurable: true });
  try {
    await runTestFilter(log, { filter: "sshd", mode: "normal", out: "ip", year: "2026" }, output);
  } finally {
    Object.defineProperty(process, "stdin", { value: original, configurable: true });
  }
  return Buffer.concat(parts).toString();
}

/** `cloudjail replay <log> --json` with the seed article's values and only ::1 ignored: the ban events. */
async function bans(
  log: string,
  stdin?: AsyncIterable<Buffer | string>,
): Promise<{ events: string; summary: string }> {
  const config = file("replay.local", "[DEFAULT]\nignoreip = ::1\nmaxretry = 2\n[sshd]\nenabled = true\n");
  const out = new PassThrough();
  const err = new PassThrough();
  const parts = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on("data", (chunk: Buffer) => parts.out.push(chunk));
  err.on("data", (chunk: Buffer) => parts.err.push(chunk));
  await runReplay(log, { config, json: true, year: "2026" }, out, err, NOW, stdin);
  return { events: Buffer.concat(parts.out).toString(), summary: Buffer.concat(parts.err).toString() };
}

let plainFailures = "";

describe("reading a log named on the command line", () => {
  beforeAll(async () => {
    plainFailures = await addresses(SECURE);
  });

  it("finds failures in the capture (the baseline the other forms are compared with)", () => {
    expect(plainFailures.split("\n").filter(Boolean).length).toBeGreaterThan(10);
  });

  it("reads a gzip-compressed log as its text", async () => {
    expect(await addresses(file("secure.gz", gzipSync(CAPTURE)))).toBe(plainFailures);
  });

  it("reads every member of a concatenated gzip file, as zcat does", async () => {
    const half = CAPTURE.indexOf("\n", CAPTURE.length / 2) + 1;
    const twoMembers = Buffer.concat([gzipSync(CAPTURE.subarray(0, half)), gzipSync(CAPTURE.subarray(half))]);
    expect(await addresses(file("members.gz", twoMembers))).toBe(plainFailures);
  });

  it("refuses a gzip file cut short with a clear message, never a silent zero", async () => {
    const whole = gzipSync(CAPTURE);
    const cut = file("cut.gz", whole.subarray(0, Math.floor(whole.length / 2)));
    const error = await addresses(cut).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(
      /cut\.gz: the gzip data is damaged or cut short \(unexpected end of file\)/,
    );
  });

  it.each([
    [
      "bzip2",
      Buffer.from("BZh91AY&SY"),
      /is bzip2-compressed, which cloudjail does not read: bzcat it into a pipe/,
    ],
    ["xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00]), /is xz-compressed.*xzcat/],
    ["zstd", Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00]), /is zstd-compressed.*zstdcat/],
    [
      "UTF-16",
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("Nov 25", "utf16le")]),
      /is UTF-16 text.*iconv/,
    ],
  ])("refuses a %s log, saying how to read it", async (_kind, bytes, message) => {
    const error = await addresses(file(`refused-${_kind}`, bytes)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });

  it("drops a UTF-8 byte-order mark at the start, also when standard input splits it", async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expect(await bytesOf(openLog(file("bom.log", Buffer.concat([bom, CAPTURE]))))).toEqual(CAPTURE);
    const split = Readable.from([
      bom.subarray(0, 1),
      Buffer.concat([bom.subarray(1), CAPTURE.subarray(0, 2)]),
      CAPTURE.subarray(2),
    ]);
    expect(await bytesOf(openLog("-", split))).toEqual(CAPTURE);
    expect(await bytesOf(openLog(file("bom.gz", gzipSync(Buffer.concat([bom, CAPTURE])))))).toEqual(CAPTURE);
    // A mark anywhere else is text, left for the line parser.
    const inside = Buffer.concat([CAPTURE.subarray(0, 10), bom, CAPTURE.subarray(10)]);
    expect(await bytesOf(openLog(file("bom-inside.log", inside)))).toEqual(inside);
  });

  it("reads an empty file and an empty standard input as no lines", async () => {
    expect(await bytesOf(openLog(file("empty.log", "")))).toEqual(Buffer.alloc(0));
    expect(await bytesOf(openLog("-", Readable.from([])))).toEqual(Buffer.alloc(0));
  });
});

describe("cloudjail replay -", () => {
  it("reads standard input, plain or gzip-compressed, with the same bans as the file", async () => {
    const fromFile = await bans(SECURE);
    expect(fromFile.events).toMatch(/"action":"ban"/);
    const fromStdin = await bans("-", Readable.from([CAPTURE.subarray(0, 100), CAPTURE.subarray(100)]));
    expect(fromStdin.events).toBe(fromFile.events);
    expect(fromStdin.summary).toMatch(/standard input/);
    expect((await bans("-", Readable.from([gzipSync(CAPTURE)]))).events).toBe(fromFile.events);
  });
});
