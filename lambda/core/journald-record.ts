/**
 * One journal entry as the CloudWatch agent (1.300070.0+, `logs.logs_collected.journald`) writes it into CloudWatch
 * Logs: `{"body":{"MESSAGE":"...","_COMM":"sshd",...}}`, every field a string, a value that is not printable UTF-8
 * an array of byte values, a repeated field an array, a field over 4 KB `"<nil>"` (docs/agent.md, "One journal entry
 * in CloudWatch Logs"; captured records in test/fixtures/agent/journald/).
 *
 * Attribution: journald writes the fields that start with `_` itself, from the sender's credentials and /proc, so
 * a process cannot choose them; `SYSLOG_IDENTIFIER` and `SYSLOG_PID` it can. A record is sshd's only when journald
 * says root wrote it, from an sshd binary, inside an ssh unit (docs/journald-and-time.md).
 */

/** The process names OpenSSH logs under: the listener (and every connection before 9.8), 9.8+'s per-connection
 * process, 10.x's pre-authentication process. */
export const SSHD_PROGRAMS: readonly string[] = ["sshd", "sshd-session", "sshd-auth"];

/** `sshd.service` (Red Hat family), `ssh.service` (Debian, Ubuntu) and their socket-activated `@` instances. */
const SSH_UNIT = /^sshd?(@[^/]+)?\.service$/;

/** Who wrote a journal record, as journald's own fields tell. */
export type JournaldWriter =
  /** root, an sshd binary, inside an ssh unit: its lines count. */
  | "sshd"
  /** claims to be sshd (by its identifier or process name) but journald says another writer: never counted. */
  | "forged"
  /** another program (PAM helpers, cron, ...): read by custom filters, never by the sshd filter. */
  | "other";

/** A journal record turned into the line the detectors read. */
export interface JournaldLine {
  readonly writer: JournaldWriter;
  /** `MESSAGE` as text; byte values written as sshd escapes them (`\ooo`). */
  readonly message: string;
  /**
   * The record as a syslog line, `<ISO time> <host> <program>[<pid>]: <message>`, with journald's own `_COMM` and
   * `_PID` for sshd's records (a forger's `SYSLOG_PID` cannot steer attempt correlation); undefined for a forged one.
   */
  readonly text: string | undefined;
}

const RECORD_START = '{"body":{';

/** True when a CloudWatch event's message has the agent's journald shape (cheap: no parsing). */
export function isJournaldMessage(message: string): boolean {
  return message.startsWith(RECORD_START);
}

/**
 * Reads a CloudWatch event's message as a journald record; `timestamp` is the event's (the entry's
 * `__REALTIME_TIMESTAMP` in ms: the agent moves it out of the body). Undefined when the message is not a journald
 * record (syslog text, or JSON of another shape): the caller reads it as text. Never throws.
 */
export function readJournaldRecord(message: string, timestamp: number): JournaldLine | undefined {
  if (!isJournaldMessage(message)) return undefined;
  let body: unknown;
  try {
    body = (JSON.parse(message) as { body?: unknown }).body;
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const fields = body as Record<string, unknown>;
  const text = messageText(fields.MESSAGE);
  if (text === undefined) return undefined;
  const comm = single(fields._COMM);
  const identifier = single(fields.SYSLOG_IDENTIFIER);
  const claimsSshd =
    (comm !== undefined && SSHD_PROGRAMS.includes(comm)) ||
    (identifier !== undefined && SSHD_PROGRAMS.includes(identifier));
  const writer: JournaldWriter = isWrittenBySshd(fields) ? "sshd" : claimsSshd ? "forged" : "other";
  if (writer === "forged") return { writer, message: text, text: undefined };
  const program = (writer === "sshd" ? comm : (identifier ?? comm)) ?? "journal";
  const pid = single(writer === "sshd" ? fields._PID : (fields.SYSLOG_PID ?? fields._PID));
  const host = single(fields._HOSTNAME) ?? "-";
  const tag = pid !== undefined && /^\d{1,10}$/.test(pid) ? `${program}[${pid}]` : program;
  const stamp = Number.isFinite(timestamp) ? new Date(timestamp).toISOString() : "-";
  return { writer, message: text, text: `${stamp} ${noSpaces(host)} ${noSpaces(tag)}: ${text}` };
}

/** journald's trusted fields say root wrote the record from an sshd binary inside an ssh unit. */
function isWrittenBySshd(fields: Record<string, unknown>): boolean {
  const comm = single(fields._COMM);
  const exe = single(fields._EXE);
  const unit = single(fields._SYSTEMD_UNIT);
  return (
    single(fields._UID) === "0" &&
    comm !== undefined &&
    SSHD_PROGRAMS.includes(comm) &&
    exe !== undefined &&
    SSHD_PROGRAMS.includes(exe.slice(exe.lastIndexOf("/") + 1)) &&
    unit !== undefined &&
    SSH_UNIT.test(unit)
  );
}

/** A field written once as text; undefined when absent, repeated (an array) or bytes. */
function single(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** `MESSAGE` as one line of text: a string, or byte values escaped as sshd escapes them; undefined otherwise. */
function messageText(value: unknown): string | undefined {
  if (typeof value === "string") return escapeControls(value);
  if (!Array.isArray(value) || value.length === 0) return undefined;
  let text = "";
  for (const byte of value) {
    if (typeof byte !== "number" || !Number.isInteger(byte) || byte < 0 || byte > 255) return undefined;
    text += byte < 32 || byte > 126 ? octal(byte) : String.fromCharCode(byte);
  }
  return text;
}

/** Control characters (a newline would end the line early) written as `\ooo`. */
function escapeControls(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
  return /[\u0000-\u001f\u007f]/.test(text)
    ? // biome-ignore lint/suspicious/noControlCharactersInRegex: as above
      text.replace(/[\u0000-\u001f\u007f]/g, (control) => octal(control.charCodeAt(0)))
    : text;
}

function octal(byte: number): string {
  return `\\${byte.toString(8).padStart(3, "0")}`;
}

/** Host names and tags are one token of the syslog line. */
function noSpaces(token: string): string {
  return token.replace(/\s/g, "_");
}
