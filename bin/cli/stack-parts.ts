import { STACK_OUTPUTS } from "../../lib/stack-outputs";
import type { DeployedStack } from "./stack";

/**
 * The parts of a deployed stack that `doctor`, `ping` and `fleet` look at, named from its outputs and its resource
 * list (what CloudFormation's ListStackResources gave, or a stack file's `resources`).
 */

/** One Lambda function of the stack and what it does. */
export interface StackFunction {
  /** responder, unbanner, fleet watcher, or the logical id of any other function. */
  readonly role: string;
  readonly name: string;
}

/** Every Lambda function of the stack: the responder and unbanner first (from the outputs), then the others. */
export function stackFunctions(stack: DeployedStack): StackFunction[] {
  const named: StackFunction[] = [];
  const responder = stack.outputs?.[STACK_OUTPUTS.responderFunctionName];
  const unbanner = stack.outputs?.[STACK_OUTPUTS.unbannerFunctionName];
  if (responder) named.push({ role: "responder", name: responder });
  if (unbanner) named.push({ role: "unbanner", name: unbanner });
  for (const resource of resourcesOfType(stack, "AWS::Lambda::Function")) {
    if (named.some((each) => each.name === resource.physicalId)) continue;
    const role = resource.logicalId.includes("FleetWatch") ? "fleet watcher" : resource.logicalId;
    named.push({ role, name: resource.physicalId });
  }
  return named;
}

/** The physical ids of the stack's resources of one CloudFormation type. */
export function physicalIdsOfType(stack: DeployedStack, type: string): string[] {
  return resourcesOfType(stack, type).map((resource) => resource.physicalId);
}

function resourcesOfType(stack: DeployedStack, type: string) {
  return (stack.resources ?? []).filter((resource) => resource.type === type);
}
