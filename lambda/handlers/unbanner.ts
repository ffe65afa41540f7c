import { unbanAndAggregate } from "./aggregate";
import { runtimeFromEnvironment } from "./runtime";

/**
 * Lambda entry of the unbanner (EventBridge schedule). The environment is read once at cold start; the clock once
 * per invocation.
 */
const runtime = runtimeFromEnvironment();

export const handler = async (_event: unknown) => unbanAndAggregate(runtime, Date.now());
