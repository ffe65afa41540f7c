import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  AGENT_STREAMS,
  AUTH_LOG_FILES,
  agentConfig,
  type JournalMatch,
  sshdJournalMatches,
} from "../../lib/agent-config";
import { agentConfigSchema, JOURNAL_FIELD_NAME } from "./support/agent-config-schema";

type JournalRecord = Record<string, unknown>;
interface AgentConfigShape {
  logs: {
    logs_collected: {
      files: { collect_list: { file_path: string; log_stream_name: string }[] };
      journald: { collect_list: { log_stream_name: string; matches: JournalMatch[] }[] };
    };
  };
}

const GROUP = "/cloudjail/cloudjail/auth";
const config = agentConfig(GROUP) as AgentConfigShape;
const journaldItems = config.logs.logs_collected.journald.collect_list;

const FIXTURES = join(__dirname, "../fixtures/agent/journald");
const readJsonLines = (file: string): JournalRecord[] =>
  readFileSync(join(FIXTURES, file), "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as JournalRecord);

/** journalctl's rule for field matches: every pair of a group holds (AND), any group will do (OR, `+`). */
const selectedBy = (groups: readonly JournalMatch[]) => (record: JournalRecord) =>
  groups.some((group) => Object.entries(group).every(([field, value]) => record[field] === value));

const cursors = (records: readonly JournalRecord[]) =>
  new Set(records.map((record) => String(record.__CURSOR)));
const SSHD_UNIT = /^sshd?(@.+)?\.service$/;
const SOCKET_ACTIVATED = /^sshd@.+\.service$/;
const writtenBySshd = (record: JournalRecord) =>
  ["sshd", "sshd-session", "sshd-auth"].includes(String(record._COMM)) &&
  SSHD_UNIT.test(String(record._SYSTEMD_UNIT)) &&
  record._UID !== undefined;

describe("the CloudWatch agent configuration", () => {
  describe("against the agent's schema (constraints restated in test/cdk/support/agent-config-schema.ts)", () => {
    it("is accepted", () => {
      expect(agentConfigSchema.safeParse(config).error).toBeUndefined();
    });

    it("would be refused with a key the agent does not know, or a journald item without its log group", () => {
      const misspelled = structuredClone(config) as unknown as AgentConfigShape & Record<string, unknown>;
      (misspelled.logs.logs_collected.journald.collect_list[0] as Record<string, unknown>).unit = [
        "ssh.service",
      ];
      expect(agentConfigSchema.safeParse(misspelled).success).toBe(false);
      const groupless = structuredClone(config) as unknown as AgentConfigShape;
      delete (groupless.logs.logs_collected.journald.collect_list[0] as Record<string, unknown>)
        .log_group_name;
      expect(agentConfigSchema.safeParse(groupless).success).toBe(false);
      const badPriority = structuredClone(config) as unknown as AgentConfigShape;
      (badPriority.logs.logs_collected.journald.collect_list[0] as Record<string, unknown>).priority =
        "information";
      expect(agentConfigSchema.safeParse(badPriority).success).toBe(false);
    });

    it("names only journal fields the agent's journald input accepts", () => {
      for (const group of journaldItems.flatMap((item) => item.matches)) {
        for (const field of Object.keys(group)) expect(field).toMatch(JOURNAL_FIELD_NAME);
      }
    });

    it("fits a standard SSM parameter (4 KB) even for a stack name of CloudFormation's maximum 128 characters", () => {
      const longest = JSON.stringify(agentConfig(`/cloudjail/${"s".repeat(128)}/auth`));
      expect(longest.length).toBeLessThanOrEqual(4096);
    });
  });

  describe("sources and streams", () => {
    it("reads both files rsyslog writes sshd's lines to, into the stream named by the instance id", () => {
      expect(config.logs.logs_collected.files.collect_list).toEqual(
        AUTH_LOG_FILES.map((file) => ({
          file_path: file,
          log_group_name: GROUP,
          log_stream_name: "{instance_id}",
        })),
      );
    });

    it("reads the journal through one collect item, so no entry is shipped twice, into {instance_id}/journald", () => {
      expect(journaldItems).toHaveLength(1);
      expect(journaldItems[0]?.log_stream_name).toBe("{instance_id}/journald");
    });

    it("keeps the instance id as the part of each stream name before the first /", () => {
      for (const stream of Object.values(AGENT_STREAMS)) expect(stream.split("/")[0]).toBe("{instance_id}");
    });
  });

  for (const world of ["debian-12", "debian-13"]) {
    describe(`journal selection, on the entries captured in ${world} (test/fixtures/agent)`, () => {
      const all = readJsonLines(`${world}.all.jsonl`);
      // The capture started its journalctl followers once sshd listened: compare what came after.
      const listening = all.filter((record) => String(record.MESSAGE).startsWith("Server listening"));
      const events = all.slice(all.indexOf(listening[listening.length - 1] ?? {}) + 1);
      const selected = events.filter(selectedBy(sshdJournalMatches()));

      it("selects exactly what the real journalctl printed for the same match groups", () => {
        const printed = new Set([
          ...cursors(readJsonLines(`${world}.follow-identifier.jsonl`)),
          ...cursors(readJsonLines(`${world}.follow-comm.jsonl`)),
        ]);
        expect(cursors(selected)).toEqual(printed);
      });

      it("selects every line sshd wrote, in its unit and in each socket-activated instance", () => {
        const bySshd = events.filter(writtenBySshd);
        expect(bySshd.some((record) => SOCKET_ACTIVATED.test(String(record._SYSTEMD_UNIT)))).toBe(true);
        for (const cursor of cursors(bySshd)) expect(cursors(selected).has(cursor)).toBe(true);
      });

      it("catches the socket-activated instances that `units: [ssh.service]` misses", () => {
        const byUnit = cursors(readJsonLines(`${world}.follow-unit-ssh.jsonl`));
        const missedByUnit = selected.filter(
          (record) => writtenBySshd(record) && !byUnit.has(String(record.__CURSOR)),
        );
        expect(missedByUnit.length).toBeGreaterThan(0);
        for (const record of missedByUnit) expect(String(record._SYSTEMD_UNIT)).toMatch(SOCKET_ACTIVATED);
      });

      it("delivers lines that only claim to be sshd, so the responder can judge and count them", () => {
        const forged = all.filter((record) => String(record.MESSAGE).includes("203.0.113."));
        expect(forged.length).toBeGreaterThan(0);
        for (const record of forged) expect(selectedBy(sshdJournalMatches())(record)).toBe(true);
      });

      it("leaves out what no sshd wrote or claimed (journald's own lines, PAM's unix_chkpwd)", () => {
        const others = all.filter(
          (record) =>
            !["sshd", "sshd-session", "sshd-auth"].includes(String(record.SYSLOG_IDENTIFIER)) &&
            !["sshd", "sshd-session", "sshd-auth"].includes(String(record._COMM)),
        );
        expect(others.length).toBeGreaterThan(0);
        for (const record of others) expect(selectedBy(sshdJournalMatches())(record)).toBe(false);
      });
    });
  }
});
