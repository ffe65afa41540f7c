import { z } from "zod";

/**
 * The constraints the CloudWatch agent checks on the parts of a configuration cloudjail writes, restated in our own
 * words from the agent's JSON schema (draft-04, validated by gojsonschema before translation): repository
 * aws/amazon-cloudwatch-agent, commit ab55b8daa204e95c42c0267ee5aa49ec3b3a7317, file translator/config/schema.json.
 * `schema.json:N` below is a line of that file. The schema itself is not committed (docs/agent.md says why).
 *
 * Only what cloudjail uses is restated; where the schema allows any further key the object here is loose, where it
 * forbids them (`additionalProperties: false`) it is strict, so a misspelled key fails the test as it fails the agent.
 */

/** schema.json:1244-1248 (log group) and 1249-1253 (log stream): strings of 1 to 512 characters. */
const name512 = z.string().min(1).max(512);

/** schema.json:1216: the priority names and their numbers as strings. */
const PRIORITIES = [
  "emerg",
  "alert",
  "crit",
  "err",
  "warning",
  "notice",
  "info",
  "debug",
  ...["0", "1", "2", "3", "4", "5", "6", "7"],
] as const;

/** schema.json:1069-1071 and 1234-1236: a collect list holds 1 to 16,384 items, no two equal. */
function collectList<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .min(1)
    .max(16_384)
    .refine((items) => new Set(items.map((entry) => JSON.stringify(entry))).size === items.length, {
      message: "collect_list items must be unique (uniqueItems)",
    });
}

/** schema.json:975-1078: `files` holds a required `collect_list` of items that each need a `file_path`. */
const files = z.strictObject({
  collect_list: collectList(
    z.strictObject({
      // schema.json:984-987 and 1064-1066: required, at most 4,096 characters.
      file_path: z.string().max(4096),
      log_group_name: name512.optional(),
      log_stream_name: name512.optional(),
    }),
  ),
});

/**
 * schema.json:1176-1243: `journald` holds a required `collect_list`; each item needs `log_group_name` (1231) and
 * allows no key the schema does not name (1232).
 */
const journald = z.strictObject({
  collect_list: collectList(
    z.strictObject({
      log_group_name: name512,
      log_stream_name: name512.optional(),
      // schema.json:1203-1212: 1 or more unique unit names of at most 256 characters.
      units: z
        .array(z.string().max(256))
        .min(1)
        .refine((units) => new Set(units).size === units.length)
        .optional(),
      priority: z.enum(PRIORITIES).optional(),
      // schema.json:1218-1229: 1 or more unique objects whose values are strings.
      matches: z
        .array(z.record(z.string(), z.string()))
        .min(1)
        .refine((groups) => new Set(groups.map((group) => JSON.stringify(group))).size === groups.length)
        .optional(),
    }),
  ),
});

/** schema.json:656-689: `logs_collected` names at least one source (688) and no unknown one (689). */
const logsCollected = z
  .strictObject({ files: files.optional(), journald: journald.optional() })
  .refine((sources) => Object.keys(sources).length >= 1, { message: "logs_collected is empty" });

/** schema.json:652-973: `logs` takes no unknown key (961) and needs `logs_collected` or `metrics_collected` (962-973). */
const logs = z.strictObject({ logs_collected: logsCollected, log_stream_name: name512.optional() });

/**
 * schema.json:3 and 22: the root is an object and may hold other keys; `agent` (24-73) allows any key, of which the
 * translator reads `run_as_user` as a string (translator/translate/agent/ruleRunAsUser.go).
 */
export const agentConfigSchema = z.looseObject({
  agent: z.looseObject({ run_as_user: z.string().min(1).optional() }).optional(),
  logs,
});

/**
 * Not in the schema: the journald input refuses to build a receiver whose match field names are not `^[_A-Z]+$`
 * (amazon-contributing/opentelemetry-collector-contrib, pkg/stanza/operator/input/journald/config_linux.go lines
 * 115-134, docs/agent.md), which the agent then reports as a failed pipeline at start.
 */
export const JOURNAL_FIELD_NAME = /^[_A-Z]+$/;
