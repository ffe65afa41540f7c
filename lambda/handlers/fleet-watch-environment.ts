import { MIN_SILENT_AFTER_SECONDS } from "../core/fleet-silence";
import type { NaclSettings } from "../core/types";
import { FLEET_WATCH_ENVIRONMENT } from "./environment";

/** What the fleet watcher runs with. */
export interface FleetWatchEnvironment {
  readonly network: Pick<NaclSettings, "vpcIds" | "naclIds">;
  readonly logGroupNames: readonly string[];
  readonly silentAfterSeconds: number;
}

/** Reads and checks the variables; throws naming the variable and what it must hold. */
export function readFleetWatchEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): FleetWatchEnvironment {
  const vpcIds = list(env, FLEET_WATCH_ENVIRONMENT.vpcIds);
  const naclIds = list(env, FLEET_WATCH_ENVIRONMENT.naclIds);
  if (vpcIds.length === 0 && naclIds.length === 0) {
    throw new Error(
      `${FLEET_WATCH_ENVIRONMENT.vpcIds} and ${FLEET_WATCH_ENVIRONMENT.naclIds} are both empty: nothing is protected`,
    );
  }
  const logGroupNames = list(env, FLEET_WATCH_ENVIRONMENT.logGroups);
  if (logGroupNames.length === 0) {
    throw new Error(`${FLEET_WATCH_ENVIRONMENT.logGroups} is empty: it must name the auth log group(s)`);
  }
  const silentAfterSeconds = Number(env[FLEET_WATCH_ENVIRONMENT.silentAfterSeconds]);
  if (!Number.isInteger(silentAfterSeconds) || silentAfterSeconds < MIN_SILENT_AFTER_SECONDS) {
    throw new Error(
      `${FLEET_WATCH_ENVIRONMENT.silentAfterSeconds} must be a whole number of seconds, at least ${MIN_SILENT_AFTER_SECONDS}`,
    );
  }
  return { network: { vpcIds, naclIds }, logGroupNames, silentAfterSeconds };
}

function list(env: Readonly<Record<string, string | undefined>>, name: string): string[] {
  const text = env[name];
  if (text === undefined || text.trim() === "") return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${name} is not JSON: it must be a list of strings`);
  }
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new Error(`${name} must be a JSON list of strings`);
  }
  return value;
}
