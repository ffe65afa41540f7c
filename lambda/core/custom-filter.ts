import { FilterConfigError } from "./filter-config-error";

/**
 * A jail's own fail2ban-style patterns. A `failregex` names the failing address with `<HOST>` (also `<ADDR>`,
 * `<IP4>`, `<IP6>`) and may capture a user with `<F-USER>...</F-USER>`. Patterns run on the message after the
 * syslog prefix (`program[pid]: `), or on the whole line when it has none, so fail2ban's leading
 * `%(__prefix_line)s` is accepted and dropped. Every pattern is compiled once, here.
 */
export interface CustomFilter {
  /** Index of the first failregex matching `message` and the host/user it captured, or undefined. */
  match(message: string): CustomMatch | undefined;
  /** True when an ignoreregex matches `message`. */
  ignores(message: string): boolean;
}

export interface CustomMatch {
  readonly index: number;
  readonly host: string;
  readonly user: string | undefined;
}

const IPV4 = String.raw`\d{1,3}(?:\.\d{1,3}){3}`;
const IPV6 = `(?:[0-9A-Fa-f]{0,4}:){2,7}(?:${IPV4}|[0-9A-Fa-f]{0,4})`;
/** Bounded repetitions only: no nested quantifier that could backtrack catastrophically. */
const HOST_GROUP = String.raw`\[?(?<host>${IPV4}|${IPV6})\]?`;
const HOST_TAGS = /<(?:HOST|ADDR|IP4|IP6)>/g;
const PREFIX_LINE = "%(__prefix_line)s";

/** Compiles the jail's patterns; throws FilterConfigError naming the pattern and what is wrong. */
export function compileCustomFilter(
  failregex: readonly string[],
  ignoreregex: readonly string[] = [],
): CustomFilter {
  if (failregex.length === 0) throw new FilterConfigError("a custom filter needs at least one failregex");
  const fail = failregex.map(compileFailRegex);
  const ignore = compileIgnoreRegex(ignoreregex);
  return {
    match(message) {
      for (let index = 0; index < fail.length; index++) {
        const groups = (fail[index] as RegExp).exec(message)?.groups;
        if (groups?.host !== undefined) return { index, host: groups.host, user: groups.user };
      }
      return undefined;
    },
    ignores(message) {
      for (const pattern of ignore) if (pattern.test(message)) return true;
      return false;
    },
  };
}

/** Compiles `ignoreregex` lines (no `<HOST>` needed); throws FilterConfigError when one does not compile. */
export function compileIgnoreRegex(ignoreregex: readonly string[]): RegExp[] {
  return ignoreregex.map((source) => compile(source, source, "ignoreregex"));
}

/** One failregex with its `<HOST>` expanded into a named group. */
export function compileFailRegex(source: string): RegExp {
  const hosts = source.match(HOST_TAGS)?.length ?? 0;
  if (hosts === 0) throw new FilterConfigError(`failregex "${source}" has no <HOST> placeholder`);
  if (hosts > 1) throw new FilterConfigError(`failregex "${source}" has more than one <HOST> placeholder`);
  if (!source.startsWith("^")) {
    throw new FilterConfigError(`failregex "${source}" is not anchored at the start: begin it with ^`);
  }
  let body = source.startsWith(`^${PREFIX_LINE}`) ? `^${source.slice(PREFIX_LINE.length + 1)}` : source;
  if (body.includes("%(")) {
    throw new FilterConfigError(
      `failregex "${source}": fail2ban %(name)s interpolation is not supported here`,
    );
  }
  body = body
    .replace(HOST_TAGS, HOST_GROUP)
    .replace(/<F-USER>/g, "(?<user>")
    .replace(/<\/F-USER>/g, ")");
  return compile(body, source, "failregex");
}

function compile(body: string, source: string, option: string): RegExp {
  try {
    return new RegExp(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FilterConfigError(`${option} "${source}" does not compile: ${reason}`);
  }
}
