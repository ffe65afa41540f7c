/**
 * Applies a CloudWatch Logs "match any term" filter pattern (`?"a b" ?"c"`, or `""` for every event) to one line
 * the way the service documents it for unstructured events: a quoted term matches where that exact,
 * case-sensitive text occurs in the message.
 */
export function passesFilterPattern(pattern: string, line: string): boolean {
  if (pattern === "") return true;
  return termsOf(pattern).some((term) => line.includes(term));
}

/** The terms of a `?"term" ?"term"` pattern; throws on any other shape so tests cannot pass on a misparse. */
export function termsOf(pattern: string): string[] {
  const terms: string[] = [];
  const rest = pattern.replace(/\?"([^"]+)"\s*/g, (_, term: string) => {
    terms.push(term);
    return "";
  });
  if (rest !== "") throw new Error(`unexpected filter pattern syntax: ${rest}`);
  return terms;
}
