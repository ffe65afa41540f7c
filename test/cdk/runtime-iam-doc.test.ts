import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, SYNTH_TIMEOUT, synthCloudjail } from "./support/synth-cloudjail";

type Role = "responder" | "unbanner";
const ROLES: readonly Role[] = ["responder", "unbanner"];

/** One row of docs/runtime.md's IAM table: its actions, and what the responder and unbanner columns say. */
interface DocumentedRow {
  readonly actions: readonly string[];
  readonly cells: Readonly<Record<Role, string>>;
}

/** The rows of the table under "## IAM the Lambdas need"; `BatchWriteItem` after `dynamodb:...` takes its prefix. */
function documentedRows(): DocumentedRow[] {
  const text = readFileSync(path.join(REPO_ROOT, "docs/runtime.md"), "utf8");
  const section = text.slice(text.indexOf("## IAM the Lambdas need"));
  const table = section.slice(0, section.indexOf("\n\n", section.indexOf("| action |")));
  return table
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const [actionCell = "", , responder = "", unbanner = ""] = line
        .slice(1, -1)
        .split(" | ")
        .map((cell) => cell.trim());
      let service = "";
      const actions = [...actionCell.matchAll(/`([^`]+)`/g)].map(([, name = ""]) => {
        if (name.includes(":")) service = name.split(":")[0] ?? "";
        return name.includes(":") ? name : `${service}:${name}`;
      });
      return { actions, cells: { responder, unbanner } };
    });
}

/** The actions a role's policies allow in a stack built from a jail.local with this `[cloudjail]` section. */
function grantedActions(cloudjail: string): Record<Role, Set<string>> {
  const config = path.join(mkdtempSync(path.join(tmpdir(), "cloudjail-iam-doc-")), "jail.local");
  writeFileSync(config, `[sshd]\nenabled = true\n[cloudjail]\n${cloudjail}\n`);
  const { template } = synthCloudjail({
    "cloudjail:config": config,
    "cloudjail:vpcIds": ["vpc-0123456789abcdef0"],
  });
  const granted: Record<Role, Set<string>> = { responder: new Set(), unbanner: new Set() };
  for (const [logicalId, policy] of Object.entries(template.findResources("AWS::IAM::Policy"))) {
    const role = ROLES.find((name) => logicalId.toLowerCase().startsWith(`cloudjail${name}`));
    if (role === undefined) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]) {
      for (const action of [statement.Action].flat()) granted[role].add(action);
    }
  }
  return granted;
}

describe("docs/runtime.md's IAM table", () => {
  const rows = documentedRows();
  // The stacks between them grant every conditional right: the defaults; subnet scope, aggregation and WAF;
  // a Network Firewall overflow target.
  const stacks: Record<Role, Set<string>>[] = [];
  beforeAll(() => {
    for (const cloudjail of [
      "",
      "scope = subnet\naggregate = true\noverflow = waf",
      "overflow = network-firewall",
    ]) {
      stacks.push(grantedActions(cloudjail));
    }
  }, 3 * SYNTH_TIMEOUT);

  it("is found and names the runtime's actions", () => {
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.flatMap((row) => row.actions)).toContain("ec2:CreateNetworkAclEntry");
  });

  it.each(ROLES)("lists every action the stack grants the %s", (role) => {
    const documented = new Set(rows.filter((row) => row.cells[role] !== "no").flatMap((row) => row.actions));
    const undocumented = stacks.flatMap((granted) =>
      [...granted[role]].filter((action) => !documented.has(action)),
    );
    expect([...new Set(undocumented)]).toEqual([]);
  });

  it.each(ROLES)("lists for the %s only actions some stack grants it, and none it says it lacks", (role) => {
    const grantedSomewhere = new Set(stacks.flatMap((granted) => [...granted[role]]));
    const claimed = rows.filter((row) => row.cells[role] !== "no").flatMap((row) => row.actions);
    expect(claimed.filter((action) => !grantedSomewhere.has(action))).toEqual([]);
    const denied = rows.filter((row) => row.cells[role] === "no").flatMap((row) => row.actions);
    expect(denied.filter((action) => grantedSomewhere.has(action))).toEqual([]);
  });
});
