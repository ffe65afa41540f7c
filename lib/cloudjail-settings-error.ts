/**
 * A configuration the CDK app refuses to synthesize. The message names the setting and says what to change;
 * `cdk synth` prints it without a construct stack trace being needed to understand it.
 */
export class CloudjailSettingsError extends Error {
  override readonly name = "CloudjailSettingsError";
}
