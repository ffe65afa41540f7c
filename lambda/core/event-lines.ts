/**
 * The lines of one CloudWatch Logs batch as the detectors read them: syslog text as it came, journald records
 * (journald-record.ts) as syslog lines, forged sshd records left out. One source per host: when the host's journal
 * reaches cloudjail, the sshd lines of its files are left out too, so that an attempt logged in both counts once.
 */
import { readJournaldRecord, SSHD_PROGRAMS } from "./journald-record";
import { parseLogLine } from "./log-line-parser";
import { matchSshdMessage, SshdMatch } from "./sshd-filter";

/** What the detectors read of a batch, and what was left out. */
export interface EventLines {
  /** One entry per event, in order; undefined for an event no detector reads. */
  readonly texts: readonly (string | undefined)[];
  /** Events that were journald records. */
  readonly journaldRecords: number;
  /**
   * Records that claim to be sshd's, read as an sshd failure, but were written by another process (ForgedLines):
   * a local user's `logger -t sshd 'Failed password for root from <victim> ...'`.
   */
  readonly forged: number;
  /** sshd text lines left out because the host's journal is read instead. */
  readonly duplicateSource: number;
  /** Where the sshd text lines still read are in `texts`. */
  readonly sshdTextIndexes: readonly number[];
}

/**
 * Reads a batch's events (`message`, `timestamp` epoch ms). A batch holding journald records is the host's journal:
 * sshd text lines beside them are left out. Never throws.
 */
export function eventLines(
  events: readonly { readonly message: string; readonly timestamp: number }[],
): EventLines {
  const texts: (string | undefined)[] = [];
  let journaldRecords = 0;
  let forged = 0;
  const sshdTextIndexes: number[] = [];
  for (const event of events) {
    const record = readJournaldRecord(event.message, event.timestamp);
    if (record === undefined) {
      if (isSshdText(event.message)) sshdTextIndexes.push(texts.length);
      texts.push(event.message);
      continue;
    }
    journaldRecords++;
    if (record.writer === "forged" && isSshdFailure(record.message)) forged++;
    texts.push(record.text);
  }
  const lines = { texts, journaldRecords, forged, duplicateSource: 0, sshdTextIndexes };
  return journaldRecords > 0 ? withoutSshdText(lines) : lines;
}

/** The lines of a batch from a host whose journal is read: its sshd text lines left out (one source per host). */
export function withoutSshdText(lines: EventLines): EventLines {
  if (lines.sshdTextIndexes.length === 0) return lines;
  const texts = [...lines.texts];
  for (const index of lines.sshdTextIndexes) texts[index] = undefined;
  return {
    ...lines,
    texts,
    duplicateSource: lines.duplicateSource + lines.sshdTextIndexes.length,
    sshdTextIndexes: [],
  };
}

/** The instance a stream belongs to: the stream name up to its first `/` (`i-0abc/journald` -> `i-0abc`). */
export function streamInstance(logStream: string): string {
  const slash = logStream.indexOf("/");
  return slash === -1 ? logStream : logStream.slice(0, slash);
}

const match = new SshdMatch();

/** True when `message` is one the sshd filter counts in some mode (not a helper line such as `Accepted`). */
function isSshdFailure(message: string): boolean {
  const text = message.trimEnd();
  return matchSshdMessage(text, 0, text.length, match) && match.pattern.bit !== 0;
}

function isSshdText(text: string): boolean {
  if (text.indexOf("sshd") === -1) return false;
  const line = parseLogLine(text);
  return line !== undefined && SSHD_PROGRAMS.some((program) => line.isProgram(program));
}
