import { CfnParameter, CliCredentialsStackSynthesizer } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { resolveCloudjailProps } from "./cloudjail-props";
import { CloudjailStack, type CloudjailStackProps } from "./cloudjail-stack";
import { OrganizationMember } from "./organization-member";
import type { OrganizationCentral } from "./organization-names";

export interface OrganizationMemberStackProps extends CloudjailStackProps {
  /** Account and region of the central stack. */
  readonly central: OrganizationCentral;
  /**
   * Prefix of the per-region buckets that hold the member's Lambda code: `<prefix>-<region>` in the central account,
   * readable by the organization (docs/organization.md says how to create and fill them).
   * @default `cloudjail-assets-<central account>`
   */
  readonly assetBucketPrefix?: string;
}

/**
 * The stack the StackSet deploys into every member account and region: a {@link CloudjailStack} plus its
 * {@link OrganizationMember} side. One template serves every account: the VPCs to protect are the
 * `ProtectedVpcIds` parameter (a StackSet parameter override per OU or account), and the Lambda code is read from
 * the bucket of the region the stack runs in (`${AWS::Region}` in the bucket name), since Lambda takes code only
 * from a bucket of its own region.
 */
export class OrganizationMemberStack extends CloudjailStack {
  public readonly organization: OrganizationMember;

  constructor(scope: Construct, id: string, props: OrganizationMemberStackProps) {
    const prefix = props.assetBucketPrefix ?? `cloudjail-assets-${props.central.account}`;
    super(scope, id, {
      ...props,
      synthesizer: new CliCredentialsStackSynthesizer({
        fileAssetsBucketName: `${prefix}-\${AWS::Region}`,
        bucketPrefix: "member/",
      }),
    });
    const vpcIds = new CfnParameter(this, "ProtectedVpcIds", {
      type: "String",
      default: "",
      description:
        "Comma-separated VPC ids of this account whose NACLs cloudjail manages (tag them cloudjail:managed=true); empty: the configuration's",
    });
    this.organization = new OrganizationMember(this, "Organization", {
      cloudjail: this.cloudjail,
      nacl: resolveCloudjailProps(props, this.stackName).config.nacl,
      central: props.central,
      vpcIds: vpcIds.valueAsString,
    });
  }
}
