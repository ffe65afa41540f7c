/**
 * cloudjail's configuration: fail2ban's jail.local as it is, or the same settings as JSON / a typed object.
 * Pure: the CLI reads files (bin/cli/load-config.ts), the Lambdas read `CLOUDJAIL_CONFIG`.
 */
export { ConfigError } from "./config-error";
export { parseConfigJson } from "./config-json";
export type { CloudjailConfigInput, JailInput } from "./config-schema";
export { parseConfigText } from "./config-text";
export { parseJailConf } from "./jail-file-config";
export { DEFAULT_NACL_SETTINGS } from "./nacl-settings";
