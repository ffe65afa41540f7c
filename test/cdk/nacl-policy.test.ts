import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { NACL_WRITE_ACTIONS } from "../../lib/nacl-write-statements";
import { isAllowed, type PolicyStatementJson } from "./support/policy-evaluator";
import { PSEUDO, resolveIntrinsics, SYNTH_TIMEOUT, synthCloudjail } from "./support/synth-cloudjail";

const PROTECTED = "acl-0a1b2c3d4e5f60718";
const UNRELATED = "acl-0fedcba9876543210";
const naclArn = (id: string) =>
  `arn:aws:ec2:${PSEUDO["AWS::Region"]}:${PSEUDO["AWS::AccountId"]}:network-acl/${id}`;
const MANAGED = { "aws:ResourceTag/cloudjail:managed": "true" };

/**
 * The statements of the runtime Lambdas' role policies (responder, unbanner), with intrinsics resolved to concrete
 * ARNs. The fleet watcher's role holds no NACL right (test/cdk/fleet-watch.test.ts).
 */
function roleStatements(context: Record<string, unknown>): Map<string, PolicyStatementJson[]> {
  const { template } = synthCloudjail(context);
  const policies = template.findResources("AWS::IAM::Policy");
  const byRole = new Map<string, PolicyStatementJson[]>();
  for (const [logicalId, policy] of Object.entries(policies)) {
    if (!/Responder|Unbanner/.test(logicalId)) continue;
    const document = resolveIntrinsics(policy.Properties.PolicyDocument) as {
      Statement: PolicyStatementJson[];
    };
    byRole.set(logicalId, document.Statement);
  }
  return byRole;
}

describe("the Lambda roles' NACL permissions", () => {
  describe("when NACL ids are given (bans go to the attacked subnet's NACL, and are aggregated)", () => {
    let roles: Map<string, PolicyStatementJson[]>;
    beforeAll(() => {
      const config = path.join(mkdtempSync(path.join(tmpdir(), "cloudjail-scope-")), "jail.local");
      writeFileSync(config, "[sshd]\nenabled = true\n[cloudjail]\nscope = subnet\naggregate = true\n");
      roles = roleStatements({ "cloudjail:config": config, "cloudjail:naclIds": [PROTECTED] });
    }, SYNTH_TIMEOUT);

    it("gives both the responder and the unbanner a policy", () => {
      expect([...roles.keys()].filter((id) => /Responder|Unbanner/.test(id))).toHaveLength(2);
    });

    it("allows every NACL write on the protected NACL", () => {
      for (const statements of roles.values()) {
        for (const action of NACL_WRITE_ACTIONS) {
          expect(isAllowed(statements, { action, resource: naclArn(PROTECTED) })).toBe(true);
        }
      }
    });

    it("cannot write to an unrelated NACL, even one tagged as managed", () => {
      for (const statements of roles.values()) {
        for (const action of NACL_WRITE_ACTIONS) {
          expect(isAllowed(statements, { action, resource: naclArn(UNRELATED), context: MANAGED })).toBe(
            false,
          );
        }
      }
    });

    it("may look up the attacked instance's subnet", () => {
      for (const statements of roles.values()) {
        expect(isAllowed(statements, { action: "ec2:DescribeInstances", resource: "*" })).toBe(true);
      }
    });

    it("may read the protected VPCs' CIDR blocks, which covering entries must stay clear of", () => {
      for (const statements of roles.values()) {
        expect(isAllowed(statements, { action: "ec2:DescribeVpcs", resource: "*" })).toBe(true);
      }
    });

    it("cannot change anything else about a NACL or its subnets", () => {
      for (const statements of roles.values()) {
        for (const action of [
          "ec2:DeleteNetworkAcl",
          "ec2:ReplaceNetworkAclAssociation",
          "ec2:CreateNetworkAcl",
        ]) {
          expect(isAllowed(statements, { action, resource: naclArn(PROTECTED) })).toBe(false);
        }
      }
    });
  });

  describe("when only VPC ids are given (scope vpc)", () => {
    let roles: Map<string, PolicyStatementJson[]>;
    beforeAll(() => {
      roles = roleStatements({ "cloudjail:vpcIds": ["vpc-0123456789abcdef0"] });
    }, SYNTH_TIMEOUT);

    it("allows writes on a NACL tagged cloudjail:managed=true", () => {
      for (const statements of roles.values()) {
        for (const action of NACL_WRITE_ACTIONS) {
          expect(isAllowed(statements, { action, resource: naclArn(PROTECTED), context: MANAGED })).toBe(
            true,
          );
        }
      }
    });

    it("reads NACLs but not instances, which scope vpc never needs, nor VPCs, which only aggregation needs", () => {
      for (const statements of roles.values()) {
        expect(isAllowed(statements, { action: "ec2:DescribeNetworkAcls", resource: "*" })).toBe(true);
        expect(isAllowed(statements, { action: "ec2:DescribeInstances", resource: "*" })).toBe(false);
        expect(isAllowed(statements, { action: "ec2:DescribeVpcs", resource: "*" })).toBe(false);
      }
    });

    it("cannot write to an unrelated, untagged NACL", () => {
      for (const statements of roles.values()) {
        for (const action of NACL_WRITE_ACTIONS) {
          expect(isAllowed(statements, { action, resource: naclArn(UNRELATED) })).toBe(false);
          expect(
            isAllowed(statements, {
              action,
              resource: naclArn(UNRELATED),
              context: { "aws:ResourceTag/cloudjail:managed": "false" },
            }),
          ).toBe(false);
        }
      }
    });
  });

  describe("when VPC ids and NACL ids are given together (the runtime manages both the VPCs' NACLs and the named ones)", () => {
    let roles: Map<string, PolicyStatementJson[]>;
    beforeAll(() => {
      roles = roleStatements({
        "cloudjail:vpcIds": ["vpc-0123456789abcdef0"],
        "cloudjail:naclIds": [PROTECTED],
      });
    }, SYNTH_TIMEOUT);

    it("allows writes on the named NACL, tagged or not", () => {
      expect(roles.size).toBe(2);
      for (const statements of roles.values()) {
        for (const action of NACL_WRITE_ACTIONS) {
          expect(isAllowed(statements, { action, resource: naclArn(PROTECTED) })).toBe(true);
        }
      }
    });

    it("allows writes on the VPCs' NACLs tagged cloudjail:managed=true, so their bans do not stay pending", () => {
      for (const statements of roles.values()) {
        for (const action of NACL_WRITE_ACTIONS) {
          expect(isAllowed(statements, { action, resource: naclArn(UNRELATED), context: MANAGED })).toBe(
            true,
          );
        }
      }
    });

    it("still cannot write to an untagged NACL that is not named", () => {
      for (const statements of roles.values()) {
        for (const action of NACL_WRITE_ACTIONS) {
          expect(isAllowed(statements, { action, resource: naclArn(UNRELATED) })).toBe(false);
        }
      }
    });
  });
});
