import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { addCloudjailStack } from "../../../lib/cloudjail-app";
import type { CloudjailStack } from "../../../lib/cloudjail-stack";
import { loadConfigFile } from "../../../lib/config-file";

export const REPO_ROOT = path.resolve(__dirname, "../../..");
/** The seed article's jail.local as printed (with its public 103.1.2.3 in ignoreip): a fixture, loaded verbatim. */
export const SEED_JAIL_LOCAL = path.join(REPO_ROOT, "test/fixtures/config/seed-article.jail.local");

/** Loading aws-cdk-lib and synthesizing takes tens of seconds on a busy 2-core machine. */
export const SYNTH_TIMEOUT = 180_000;

export interface SynthesizedCloudjail {
  readonly app: App;
  readonly stack: CloudjailStack;
  readonly template: Template;
}

/**
 * Builds the app exactly as bin/app.ts does, from cdk.json-style context, without bundling the Lambdas
 * (`aws:cdk:bundling-stacks: []`: templates are what these tests read; CI's `cdk synth` bundles for real).
 * Not synthesized yet: `app.synth()` runs the validation plugins (cdk-nag) once.
 */
export function buildCloudjail(context: Record<string, unknown>): { app: App; stack: CloudjailStack } {
  const app = new App({
    outdir: mkdtempSync(path.join(tmpdir(), "cloudjail-cdk-")),
    context: { "aws:cdk:bundling-stacks": [], "cloudjail:config": SEED_JAIL_LOCAL, ...context },
  });
  return { app, stack: addCloudjailStack(app, loadConfigFile) };
}

/** {@link buildCloudjail}, synthesized into a Template for assertions. */
export function synthCloudjail(context: Record<string, unknown>): SynthesizedCloudjail {
  const { app, stack } = buildCloudjail(context);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The template as JSON with what changes on every build (asset hashes, CDK version metadata) replaced. */
export function stableTemplate(template: Template): unknown {
  const json = template.toJSON() as { Resources: Record<string, unknown> };
  delete json.Resources.CDKMetadata;
  return JSON.parse(JSON.stringify(json).replace(/[0-9a-f]{64}(\.zip|\.json)?/g, "[asset]$1"));
}

/**
 * Resolves the intrinsics these templates use in strings: Fn::Join, Fn::Select, Fn::Split, pseudo parameters;
 * other Refs as `<Ref:id>`, attributes as `<id.attribute>`.
 */
export function resolveIntrinsics(value: unknown, pseudo: Record<string, string> = PSEUDO): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, pseudo));
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  if ("Fn::Join" in object) {
    const [separator, parts] = object["Fn::Join"] as [string, unknown[]];
    return parts.map((part) => String(resolveIntrinsics(part, pseudo))).join(separator);
  }
  if ("Fn::Split" in object) {
    const [separator, text] = object["Fn::Split"] as [string, unknown];
    return String(resolveIntrinsics(text, pseudo)).split(separator);
  }
  if ("Fn::Select" in object) {
    const [index, list] = object["Fn::Select"] as [number | string, unknown];
    return (resolveIntrinsics(list, pseudo) as unknown[])[Number(index)];
  }
  if ("Ref" in object) {
    const ref = object.Ref as string;
    return pseudo[ref] ?? `<Ref:${ref}>`;
  }
  if ("Fn::GetAtt" in object) {
    const [resource, attribute] = object["Fn::GetAtt"] as [string, string];
    return `<${resource}.${attribute}>`;
  }
  return Object.fromEntries(
    Object.entries(object).map(([key, item]) => [key, resolveIntrinsics(item, pseudo)]),
  );
}

export const PSEUDO = {
  "AWS::Partition": "aws",
  "AWS::Region": "eu-west-1",
  "AWS::AccountId": "123456789012",
};
