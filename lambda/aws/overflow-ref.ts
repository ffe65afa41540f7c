import { z } from "zod";

/**
 * Where a stack's overflow target lives (issue 7), as the CDK app writes it into the Lambdas' CLOUDJAIL_OVERFLOW
 * variable once CloudFormation knows the ids: WAFv2 IP sets (one per address family, both in `scope`) or one
 * Network Firewall rule group's IP set variable.
 */
export type OverflowRef =
  | {
      readonly kind: "waf";
      readonly scope: "REGIONAL" | "CLOUDFRONT";
      readonly ipv4: WafSetRef;
      readonly ipv6?: WafSetRef;
    }
  | { readonly kind: "network-firewall"; readonly ruleGroupArn: string; readonly variable: string };

/** A WAFv2 IP set: GetIPSet and UpdateIPSet need both its name and its id. */
export interface WafSetRef {
  readonly name: string;
  readonly id: string;
}

const wafSet = z.object({ name: z.string().min(1), id: z.string().min(1) }).strict();

const OVERFLOW_REF = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("waf"),
      scope: z.enum(["REGIONAL", "CLOUDFRONT"]),
      ipv4: wafSet,
      ipv6: wafSet.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("network-firewall"),
      ruleGroupArn: z.string().startsWith("arn:"),
      variable: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/),
    })
    .strict(),
]);

/** Parses CLOUDJAIL_OVERFLOW; throws an Error naming what is wrong. */
export function parseOverflowRef(text: string): OverflowRef {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  const parsed = OVERFLOW_REF.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join(".") || "value"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}
