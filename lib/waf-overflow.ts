import * as iam from "aws-cdk-lib/aws-iam";
import * as wafv2 from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";

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
 */
export class WafOverflow extends Construct {
  readonly ipv4: wafv2.CfnIPSet;
  readonly ipv6?: wafv2.CfnIPSet;

  constructor(scope: Construct, id: string, props: WafOverflowProps) {
    super(scope, id);
    const wafScope = props.scope ?? "REGIONAL";
    const ipSet = (name: string, version: "IPV4" | "IPV6") =>
      new wafv2.CfnIPSet(this, name, {
        scope: wafScope,
        ipAddressVersion: version,
        addresses: [],
        description: `cloudjail bans beyond the NACLs (${version})`,
      });
    this.ipv4 = ipSet("Ipv4", "IPV4");
    if (props.ipv6 ?? true) this.ipv6 = ipSet("Ipv6", "IPV6");
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

  /** The settings the runtime needs (IP set names, ids and scope), for CLOUDJAIL_CONFIG or the environment. */
  get refs(): { readonly scope: string; readonly ipv4: string; readonly ipv6?: string } {
    return {
      scope: this.ipv4.scope,
      ipv4: `${this.ipv4.attrId}`,
      ...(this.ipv6 ? { ipv6: `${this.ipv6.attrId}` } : {}),
    };
  }
}
