import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Ec2ApiError } from "./ec2-api-error";
import { QueryParams, xmlAnswer, xmlError } from "./ec2-query";
import type { Ec2Action, NaclModel } from "./nacl-model";

/**
 * A loopback HTTP server speaking the EC2 Query API (form-encoded POST in, XML out) for the NACL, instance, subnet
 * and VPC actions, backed by a `NaclModel`. Unchanged SDK code runs against it: point `AWS_ENDPOINT_URL_EC2` (or
 * the client's `endpoint`) at `url`. Any credentials are accepted; signatures are not checked. `DryRun=true` is
 * answered as EC2 answers it: `UnauthorizedOperation` when the caller lacks the right, `DryRunOperation` when the
 * call would have succeeded (for a NACL write: the NACL exists), and nothing changes.
 */
export interface Ec2Endpoint {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

export interface Ec2EndpointOptions {
  /** @default "127.0.0.1" (loopback only) */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /**
   * IAM in miniature: whether the caller may call `action` (on the NACL `naclId` names, for NACL actions). A call
   * it refuses is answered `UnauthorizedOperation`, with or without DryRun.
   * @default every call is allowed
   */
  readonly authorize?: (request: { readonly action: Ec2Action; readonly naclId?: string }) => boolean;
}

type Handler = (model: NaclModel, params: QueryParams) => object;

const entryInput = (params: QueryParams) => ({
  NetworkAclId: params.string("NetworkAclId"),
  RuleNumber: params.integer("RuleNumber"),
  Protocol: params.string("Protocol"),
  RuleAction: params.string("RuleAction") as "allow" | "deny" | undefined,
  Egress: params.boolean("Egress"),
  CidrBlock: params.string("CidrBlock"),
  Ipv6CidrBlock: params.string("Ipv6CidrBlock"),
  PortRange:
    params.string("PortRange.From") === undefined
      ? undefined
      : { From: params.integer("PortRange.From"), To: params.integer("PortRange.To") },
  IcmpTypeCode:
    params.string("Icmp.Type") === undefined
      ? undefined
      : { Type: params.integer("Icmp.Type"), Code: params.integer("Icmp.Code") },
});

const page = (params: QueryParams) => ({
  Filters: params.filters(),
  MaxResults: params.integer("MaxResults"),
  NextToken: params.string("NextToken"),
});

const HANDLERS: Record<Ec2Action, Handler> = {
  CreateNetworkAclEntry: (model, params) => ({
    ...model.createNetworkAclEntry(entryInput(params)),
    Return: true,
  }),
  ReplaceNetworkAclEntry: (model, params) => ({
    ...model.replaceNetworkAclEntry(entryInput(params)),
    Return: true,
  }),
  DeleteNetworkAclEntry: (model, params) => ({
    ...model.deleteNetworkAclEntry({
      NetworkAclId: params.string("NetworkAclId"),
      RuleNumber: params.integer("RuleNumber"),
      Egress: params.boolean("Egress"),
    }),
    Return: true,
  }),
  DescribeNetworkAcls: (model, params) =>
    model.describeNetworkAcls({ NetworkAclIds: params.list("NetworkAclId"), ...page(params) }),
  DescribeInstances: (model, params) =>
    model.describeInstances({ InstanceIds: params.list("InstanceId"), ...page(params) }),
  DescribeSubnets: (model, params) =>
    model.describeSubnets({ SubnetIds: params.list("SubnetId"), ...page(params) }),
  DescribeVpcs: (model, params) => model.describeVpcs({ VpcIds: params.list("VpcId"), ...page(params) }),
};

/** Starts the endpoint; resolves once it listens. */
export function startEc2Endpoint(model: NaclModel, options: Ec2EndpointOptions = {}): Promise<Ec2Endpoint> {
  const server = createServer((request, response) => {
    readBody(request)
      .then((body) => {
        const { status, xml } = answerEc2Query(model, body, options.authorize);
        send(response, status, xml);
      })
      .catch((error: unknown) => {
        // A bug in the model or endpoint: say so in the answer rather than hang or hide it.
        const internal = new Ec2ApiError(
          "InternalError",
          error instanceof Error ? error.message : String(error),
        );
        send(response, internal.httpStatus, xmlError(internal, randomUUID()));
      });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      const { address, port } = server.address() as AddressInfo;
      const host = address.includes(":") ? `[${address}]` : address;
      resolve({
        url: `http://${host}:${port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.closeAllConnections();
            server.close((error) => (error ? fail(error) : done()));
          }),
      });
    });
  });
}

/**
 * The EC2 Query API answer to one request body (form-encoded), from `model`: the HTTP status and the XML. Model
 * errors become EC2's XML error body; anything else (a bug) throws. Shared by the loopback server and the
 * in-process request handler (ec2-request-handler.ts).
 */
export function answerEc2Query(
  model: NaclModel,
  body: string,
  authorize?: Ec2EndpointOptions["authorize"],
): { readonly status: number; readonly xml: string } {
  const requestId = randomUUID();
  const params = new QueryParams(body);
  const action = params.string("Action") ?? "";
  try {
    const handler = HANDLERS[action as Ec2Action];
    if (!Object.hasOwn(HANDLERS, action) || !handler) {
      throw new Ec2ApiError(
        "InvalidAction",
        `The action ${action || "(none)"} is not valid for this web service.`,
      );
    }
    const naclId = params.string("NetworkAclId");
    if (
      authorize !== undefined &&
      !authorize({ action: action as Ec2Action, ...(naclId ? { naclId } : {}) })
    ) {
      throw new Ec2ApiError("UnauthorizedOperation", "You are not authorized to perform this operation.");
    }
    if (params.boolean("DryRun") === true) dryRun(model, naclId);
    return { status: 200, xml: xmlAnswer(action, requestId, handler(model, params)) };
  } catch (error) {
    if (!(error instanceof Ec2ApiError)) throw error;
    return { status: error.httpStatus, xml: xmlError(error, requestId) };
  }
}

/** A call with DryRun that passed the authorization: refused if its NACL does not exist, else DryRunOperation. */
function dryRun(model: NaclModel, naclId: string | undefined): never {
  if (naclId !== undefined && !model.naclIds().includes(naclId)) {
    throw new Ec2ApiError("InvalidNetworkAclID.NotFound", `The networkAcl ID '${naclId}' does not exist`);
  }
  throw new Ec2ApiError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
}

function send(response: ServerResponse, status: number, xml: string): void {
  response.writeHead(status, {
    "content-type": "text/xml;charset=UTF-8",
    "content-length": Buffer.byteLength(xml),
  });
  response.end(xml);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
