import { Aws, CfnRule, Fn, Stack, Token } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as wafv2 from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";
import type { OverflowRef } from "../lambda/aws/overflow-ref";
import { CloudjailSettingsError } from "./cloudjail-settings-error";
import { physicalName } from "./physical-name";

/** AWS: IP sets for CloudFront (scope CLOUDFRONT) exist only in us-east-1. */
const CLOUDFRONT_REGION = "us-east-1";

/** Props of {@link WafOverflow}. */
export interface WafOverflowProps {
  /** `REGIONAL` (ALB, API Gateway; the stack's region) or `CLOUDFRONT` (stack in us-east-1). @default REGIONAL */
  readonly scope?: "REGIONAL" | "CLOUDFRONT";
  /** Also an IPv6 IP set. @default true */
  readonly ipv6?: boolean;
  /** Roles that write the sets (the responder's and the unbanner's): granted Get/UpdateIPSet on these sets only. */
  readonly writers: readonly iam.IGrantable[];
}

/**
 * Optional overflow target (issue 7): WAFv2 IP sets (10,000 addresses each, one per address family) that cloudjail
 * writes when NACLs are not enough, for services behind ALB, API Gateway or CloudFront. The writers may read and
 * update these IP sets and nothing else in WAF. Reference them from your web ACL with {@link blockRule}.
 * The sets have fixed names (`<stack>-cloudjail-<hash of the construct path>-ipv4`/`-ipv6`, lib/physical-name.ts): GetIPSet and UpdateIPSet
 * need the name as well as the id. A `CLOUDFRONT` set can only be created in us-east-1.
 */
export class WafOverflow extends Construct {
  readonly ipv4: wafv2.CfnIPSet;
  readonly ipv6?: wafv2.CfnIPSet;
  /** Where the runtime finds the sets (scope, names and ids), for the Lambdas' CLOUDJAIL_OVERFLOW variable. */
  readonly ref: OverflowRef;

  constructor(scope: Construct, id: string, props: WafOverflowProps) {
    super(scope, id);
    const wafScope = props.scope ?? "REGIONAL";
    if (wafScope === "CLOUDFRONT") checkCloudFrontRegion(this);
    const nameOf = (version: "IPV4" | "IPV6") => physicalName(this, version.toLowerCase());
    const ipSet = (id: string, version: "IPV4" | "IPV6") =>
      new wafv2.CfnIPSet(this, id, {
        name: nameOf(version),
        scope: wafScope,
        ipAddressVersion: version,
        addresses: [],
        // WAF allows no parentheses in a description.
        description: `cloudjail bans beyond the NACLs, ${version}`,
      });
    this.ipv4 = ipSet("Ipv4", "IPV4");
    if (props.ipv6 ?? true) this.ipv6 = ipSet("Ipv6", "IPV6");
    this.ref = {
      kind: "waf",
      scope: wafScope,
      ipv4: { name: nameOf("IPV4"), id: this.ipv4.attrId },
      ...(this.ipv6 ? { ipv6: { name: nameOf("IPV6"), id: this.ipv6.attrId } } : {}),
    };
    const arns = [this.ipv4.attrArn, ...(this.ipv6 ? [this.ipv6.attrArn] : [])];
    for (const writer of props.writers) {
      iam.Grant.addToPrincipal({
        grantee: writer,
        actions: ["wafv2:GetIPSet", "wafv2:UpdateIPSet"],
        resourceArns: arns,
      });
    }
  }

  /** A web ACL rule that blocks every address in the sets, at `priority`. */
  blockRule(priority: number): wafv2.CfnWebACL.RuleProperty {
    const statements = [this.ipv4, ...(this.ipv6 ? [this.ipv6] : [])].map((set) => ({
      ipSetReferenceStatement: { arn: set.attrArn },
    }));
    return {
      name: "cloudjail-overflow",
      priority,
      action: { block: {} },
      statement:
        statements.length === 1
          ? (statements[0] as wafv2.CfnWebACL.StatementProperty)
          : { orStatement: { statements } },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: "cloudjail-overflow",
        sampledRequestsEnabled: true,
      },
    };
  }
}

/** What CloudFormation says when it refuses a `CLOUDFRONT` overflow outside us-east-1 (the `Rules` assertion). */
export const CLOUDFRONT_REGION_MESSAGE =
  `overflow waf-cloudfront: WAF IP sets for CloudFront can only be created in ${CLOUDFRONT_REGION}; deploy this ` +
  `stack in ${CLOUDFRONT_REGION} (or use overflow = waf for ALB and API Gateway in this region)`;

/**
 * Fails synth when the stack's region is known and is not us-east-1. When it is not known (an environment-agnostic
 * stack), a CloudFormation `Rules` assertion makes the deploy stop before it creates anything, with
 * {@link CLOUDFRONT_REGION_MESSAGE}, in any region other than us-east-1.
 */
function checkCloudFrontRegion(scope: Construct): void {
  const { region } = Stack.of(scope);
  if (Token.isUnresolved(region)) {
    new CfnRule(scope, "CloudFrontRegion", {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.REGION, CLOUDFRONT_REGION),
          assertDescription: CLOUDFRONT_REGION_MESSAGE,
        },
      ],
    });
  } else if (region !== CLOUDFRONT_REGION) {
    throw new CloudjailSettingsError(
      `overflow waf-cloudfront: WAF IP sets for CloudFront can only be created in ${CLOUDFRONT_REGION}, and this ` +
        `stack deploys to ${region}: deploy the stack to ${CLOUDFRONT_REGION}, or use overflow = waf for ALB and ` +
        "API Gateway in this region",
    );
  }
}
