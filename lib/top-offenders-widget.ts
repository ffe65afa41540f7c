import { Aws } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";

export interface TopOffendersWidgetProps {
  /** The Contributor Insights rule ranking source addresses. */
  readonly ruleName: string;
  readonly title: string;
  /** @default 10 */
  readonly contributors?: number;
  /** @default 12 */
  readonly width?: number;
  /** @default 6 */
  readonly height?: number;
}

/**
 * A dashboard graph of a Contributor Insights rule's top contributors. aws-cdk-lib has no widget for it, so this
 * renders the dashboard body's `insightRule` metric widget itself.
 */
export class TopOffendersWidget extends cloudwatch.ConcreteWidget {
  private readonly props: TopOffendersWidgetProps;

  constructor(props: TopOffendersWidgetProps) {
    super(props.width ?? 12, props.height ?? 6);
    this.props = props;
  }

  toJson(): object[] {
    return [
      {
        type: "metric",
        width: this.width,
        height: this.height,
        x: this.x,
        y: this.y,
        properties: {
          title: this.props.title,
          view: "timeSeries",
          region: Aws.REGION,
          insightRule: {
            ruleName: this.props.ruleName,
            maxContributorCount: this.props.contributors ?? 10,
            orderBy: "Sum",
          },
          period: 60,
          stacked: false,
        },
      },
    ];
  }
}
