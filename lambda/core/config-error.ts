/** A configuration problem. The message already names the file and line (jail.local) or key (JSON). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}
