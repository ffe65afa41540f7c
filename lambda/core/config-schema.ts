import { z } from "zod";
import { SSHD_MODES } from "./types";

/**
 * The JSON form of the configuration (zod), and the typed object CDK users write. It accepts both the friendly
 * form (durations as "24h", ignoreip as one string, jails keyed by name, a `defaults` block like [DEFAULT]) and
 * the resolved form cloudjail itself writes (`CLOUDJAIL_CONFIG`), so resolving twice gives the same result.
 */

const duration = z.union([z.number(), z.string()], {
  error: 'expected a duration: seconds (3600), text such as "10m" or "24h", or -1 for permanent',
});
const stringList = z.union([z.string(), z.array(z.string())], {
  error: "expected a string or a list of strings",
});
const portRange = z.strictObject({ from: z.number().int(), to: z.number().int() });

const increment = z.strictObject({
  /** `bantime.increment` */
  enabled: z.boolean().optional(),
  /** `bantime.factor` */
  factor: z.number().positive().optional(),
  /** `bantime.multipliers` */
  multipliers: z
    .union([z.string(), z.array(z.number().positive())], {
      error: 'expected numbers such as [1, 2, 4, 8] or "1 2 4 8"',
    })
    .optional(),
  /** `bantime.maxtime` */
  maxtime: duration.optional(),
  /** `bantime.rndtime` */
  rndtime: duration.optional(),
  /** `bantime.overalljails` */
  overalljails: z.boolean().optional(),
});

const jailFields = {
  enabled: z.union([z.boolean(), z.string()], { error: "expected true or false" }).optional(),
  /** `sshd`, `sshd[mode=aggressive]`, `recidive`, `custom` (with failregex). */
  filter: z.string().optional(),
  mode: z.enum(SSHD_MODES).optional(),
  failregex: stringList.optional(),
  ignoreregex: stringList.optional(),
  maxretry: z.union([z.number(), z.string()], { error: "expected a whole number of 1 or more" }).optional(),
  findtime: duration.optional(),
  bantime: duration.optional(),
  ignoreip: stringList.optional(),
  port: z
    .union([z.number(), z.string(), z.array(z.union([z.number(), z.string(), portRange]))], {
      error: 'expected ports such as 22, "ssh,2222,5000:5010" or [{ "from": 5000, "to": 5010 }]',
    })
    .optional(),
  increment: increment.optional(),
  /** `local` (the default) or `organization` (issue 16): parsed by parseShare for its did-you-mean. */
  share: z.string({ error: 'expected "local" or "organization"' }).optional(),
  /** false: detect-only, bans recorded but not enforced (issue 15 §1). Absent: the stack's `enforce`. */
  enforce: z.boolean({ error: "expected true or false" }).optional(),
};

/** The options of one jail (or of `defaults`), every one optional. */
export const jailSchema = z.strictObject(jailFields);
const namedJailSchema = z.strictObject({ name: z.string().min(1), ...jailFields });

/** Cloud-only settings; omitted fields take DEFAULT_NACL_SETTINGS. */
export const naclSchema = z.strictObject({
  scope: z.enum(["vpc", "subnet"]).optional(),
  vpcIds: z.array(z.string()).optional(),
  naclIds: z.array(z.string()).optional(),
  reservedRuleRange: z
    .union([z.string(), z.strictObject({ first: z.number(), last: z.number() })], {
      error: 'expected a rule-number range such as "1-99" or { "first": 1, "last": 99 }',
    })
    .optional(),
  quota: z.number().optional(),
  restrictToJailPorts: z.boolean().optional(),
  /** Covering entries (issue 7): `true` for the defaults, or the fields to change. */
  aggregation: z
    .union([
      z.boolean(),
      z.strictObject({
        ipv4Prefix: z.number().optional(),
        ipv6Prefix: z.number().optional(),
        ipv4WidestPrefix: z.number().optional(),
        ipv6WidestPrefix: z.number().optional(),
        threshold: z.number().optional(),
      }),
    ])
    .optional(),
  /** CIDRs covering entries never touch, besides the VPCs' own blocks (found at run time) and every ignoreip. */
  protectedCidrs: z.array(z.string()).optional(),
});

/** The stack's overflow target (issue 7): a preset name, or the fields of one kind. */
export const overflowSchema = z.union(
  [
    z.string(),
    z.strictObject({
      kind: z.literal("waf"),
      scope: z.enum(["REGIONAL", "CLOUDFRONT"]).optional(),
      ipv6: z.boolean().optional(),
    }),
    z.strictObject({ kind: z.literal("network-firewall"), capacity: z.number().optional() }),
  ],
  {
    error:
      'expected "waf", "waf-cloudfront", "network-firewall", "none", { "kind": "waf", "scope": "REGIONAL" | ' +
      '"CLOUDFRONT", "ipv6": true | false } or { "kind": "network-firewall", "capacity": 10000 }',
  },
);

const JAILS_ERROR = "expected an object keyed by jail name, or a list of jails with a name each";
const rootFields = {
  $schema: z.string().optional(),
  /** Like fail2ban's [DEFAULT]: applies to every jail unless the jail sets it. */
  defaults: jailSchema.optional(),
  nacl: naclSchema.optional(),
  topicArn: z.string().optional(),
  overflow: overflowSchema.optional(),
  /** false: every jail that does not set its own `enforce` is detect-only (issue 15 §1). @default true */
  enforce: z.boolean({ error: "expected true or false" }).optional(),
};

/** The whole JSON configuration: jails keyed by name, or a list of jails with a `name` each. */
export const configSchema = z.strictObject({
  ...rootFields,
  jails: z.union([z.record(z.string(), jailSchema), z.array(namedJailSchema)], { error: JAILS_ERROR }),
});

/** The same schema, one per shape of `jails`, so that errors point inside the jail rather than at the union. */
export const configSchemaByJailShape = {
  keyed: z.strictObject({ ...rootFields, jails: z.record(z.string(), jailSchema, { error: JAILS_ERROR }) }),
  listed: z.strictObject({ ...rootFields, jails: z.array(namedJailSchema, { error: JAILS_ERROR }) }),
};

/** The configuration as a CDK user or a JSON file writes it. */
export type CloudjailConfigInput = z.input<typeof configSchema>;
/** One jail's options in the JSON form. */
export type JailInput = z.input<typeof jailSchema>;

/** Valid keys per object, for error messages about unknown keys. */
export const VALID_KEYS: Readonly<Record<"root" | "jail" | "increment" | "nacl", readonly string[]>> = {
  root: Object.keys(configSchema.shape),
  jail: ["name", ...Object.keys(jailFields)],
  increment: Object.keys(increment.shape),
  nacl: Object.keys(naclSchema.shape),
};
