/**
 * The parsed prefix of one auth-log line (log-line-parser.ts fills it), as positions in it. The detector reuses one instance for every line so that
 * its hot path allocates nothing; the text getters slice only when asked.
 */
export class LogLine {
  text = "";
  stampFormat: "syslog" | "rfc3339" | "none" = "none";
  stampStart = 0;
  stampEnd = 0;
  /** -1 when the line names no host. */
  hostStart = -1;
  hostEnd = -1;
  programStart = 0;
  programEnd = 0;
  pid: number | undefined = undefined;
  /** Index in the line where the message after the prefix starts. */
  messageStart = 0;
  /** Index just after the message: trailing spaces, CR and LF (and a `repeated` wrapper's `]`) excluded. */
  messageEnd = 0;
  /** How many times the message was logged: rsyslog folds identical messages into `message repeated N times`. */
  repeats = 1;

  /** The time text as written; empty when the line carries none. */
  get stamp(): string {
    return this.text.slice(this.stampStart, this.stampEnd);
  }

  get host(): string | undefined {
    return this.hostStart === -1 ? undefined : this.text.slice(this.hostStart, this.hostEnd);
  }

  /** Program (syslog tag / RFC 5424 APP-NAME), e.g. `sshd` or `sshd-session`. */
  get program(): string {
    return this.text.slice(this.programStart, this.programEnd);
  }

  /** The message after the prefix, without trailing whitespace. */
  get message(): string {
    return this.text.slice(this.messageStart, this.messageEnd);
  }

  /** True when the program is exactly `name`, without slicing. */
  isProgram(name: string): boolean {
    return (
      this.programEnd - this.programStart === name.length && this.text.startsWith(name, this.programStart)
    );
  }
}
