import { Stack, Token } from "aws-cdk-lib";
import type { Construct } from "constructs";

/**
 * A physical name no other stack can hold: the stack's name (unique per account and region), `cloudjail`, the
 * construct path's hash (unique within the stack) and `suffix`, e.g. `Cloudjail-cloudjail-1a2b3c4d-ipv4`. The
 * stack's name is shortened so that the whole fits `maxLength` (WAF and Network Firewall allow 128 characters).
 */
export function physicalName(scope: Construct, suffix: string, maxLength = 128): string {
  const stackName = Stack.of(scope).stackName;
  const rest = `-cloudjail-${scope.node.addr.slice(0, 8)}-${suffix}`;
  const prefix = Token.isUnresolved(stackName) ? stackName : stackName.slice(0, maxLength - rest.length);
  return `${prefix}${rest}`;
}
