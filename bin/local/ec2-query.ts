import type { Filter } from "@aws-sdk/client-ec2";
import { Ec2ApiError } from "./ec2-api-error";

/**
 * The EC2 Query protocol, both ways, for the actions the local endpoint answers: reading form-encoded request
 * parameters (`Filter.1.Value.1`, `NetworkAclId.1`, `PortRange.From`) and writing EC2's XML answers and errors.
 */

/** EC2's XML namespace (API version 2016-11-15). */
export const EC2_XML_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";

/** Typed access to the parameters of one Query request. */
export class QueryParams {
  private readonly values: URLSearchParams;

  constructor(body: string) {
    this.values = new URLSearchParams(body);
  }

  string(name: string): string | undefined {
    return this.values.get(name) ?? undefined;
  }

  integer(name: string): number | undefined {
    const text = this.values.get(name);
    if (text === null) return undefined;
    if (!/^-?\d+$/.test(text))
      throw new Ec2ApiError("InvalidParameterValue", `Invalid value '${text}' for ${name}`);
    return Number(text);
  }

  boolean(name: string): boolean | undefined {
    const text = this.values.get(name);
    if (text === null) return undefined;
    if (text !== "true" && text !== "false") {
      throw new Ec2ApiError("InvalidParameterValue", `Invalid value '${text}' for ${name}`);
    }
    return text === "true";
  }

  /** `Name.1`, `Name.2`, ... in index order; undefined when none is present. */
  list(name: string): string[] | undefined {
    const indexed: Array<[number, string]> = [];
    const pattern = new RegExp(`^${name.replace(/\./g, "\\.")}\\.(\\d+)$`);
    for (const [key, value] of this.values) {
      const match = pattern.exec(key);
      if (match) indexed.push([Number(match[1]), value]);
    }
    return indexed.length === 0 ? undefined : indexed.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
  }

  /** `Filter.N.Name` with its `Filter.N.Value.M` values. */
  filters(): Filter[] | undefined {
    const filters: Filter[] = [];
    for (const [key, value] of this.values) {
      const match = /^Filter\.(\d+)\.Name$/.exec(key);
      if (match) filters.push({ Name: value, Values: this.list(`Filter.${match[1]}.Value`) ?? [] });
    }
    return filters.length === 0 ? undefined : filters;
  }
}

/** XML element names that do not follow "first letter lower-cased" in EC2's answers. */
const XML_NAMES: Record<string, string> = {
  NetworkAcls: "networkAclSet",
  Entries: "entrySet",
  Associations: "associationSet",
  IsDefault: "default",
  Tags: "tagSet",
  Reservations: "reservationSet",
  Instances: "instancesSet",
  Subnets: "subnetSet",
  Vpcs: "vpcSet",
};

/** EC2's XML answer for `action`, with `result` (an SDK output shape) as its body. */
export function xmlAnswer(action: string, requestId: string, result: object): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_XML_NAMESPACE}">` +
    `<requestId>${requestId}</requestId>${xmlFields(result)}</${action}Response>`
  );
}

/** EC2's XML error body; the SDK reads `Code` into `error.name`. */
export function xmlError(error: Ec2ApiError, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
  );
}

function xmlFields(value: object): string {
  let xml = "";
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined || key === "$metadata") continue;
    // An instance's state is an object named instanceState; a subnet's is the text `state`.
    const name =
      key === "State" && typeof field === "object" ? "instanceState" : (XML_NAMES[key] ?? lowerFirst(key));
    xml += `<${name}>${xmlValue(field)}</${name}>`;
  }
  return xml;
}

function xmlValue(value: unknown): string {
  // EC2 writes times as ISO 8601 (an instance's launchTime).
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => `<item>${xmlValue(item)}</item>`).join("");
  if (value !== null && typeof value === "object") return xmlFields(value);
  return escapeXml(String(value));
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
