import type { Filter } from "@aws-sdk/client-ec2";
import { Ec2ApiError } from "./ec2-api-error";

/** What EC2's Describe* actions share in the local model: filters and pagination. */
/** EC2 filter semantics: every filter must match; within a filter, any value; `*` and `?` are wildcards. */
export function filtersMatch(filters: readonly Filter[], fields: Record<string, readonly string[]>): boolean {
  return filters.every((filter) => {
    const name = filter.Name ?? "";
    const actual = fields[name];
    if (actual === undefined)
      throw new Ec2ApiError("InvalidParameterValue", `The filter '${name}' is invalid`);
    return (filter.Values ?? []).some((pattern) => actual.some((value) => wildcard(pattern).test(value)));
  });
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

/** EC2-style pagination: MaxResults 5-1000, an opaque NextToken. */
export function paginate<T>(
  items: readonly T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
) {
  if (maxResults !== undefined && (maxResults < 5 || maxResults > 1000)) {
    throw new Ec2ApiError(
      "InvalidParameterValue",
      `Value ( ${maxResults} ) for parameter maxResults is invalid.`,
    );
  }
  let start = 0;
  if (nextToken !== undefined) {
    const decoded = /^offset:(\d+)$/.exec(Buffer.from(nextToken, "base64url").toString("utf8"));
    if (!decoded) throw new Ec2ApiError("InvalidParameterValue", "The token is invalid.");
    start = Number(decoded[1]);
  }
  const end = maxResults === undefined ? items.length : Math.min(items.length, start + maxResults);
  return {
    page: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(`offset:${end}`).toString("base64url") : undefined,
  };
}
