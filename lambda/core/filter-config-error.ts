/** Thrown when a jail's filter cannot be built: a bad custom failregex/ignoreregex, or a filter that reads no log. */
export class FilterConfigError extends Error {
  override readonly name = "FilterConfigError";
}
