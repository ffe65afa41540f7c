import { answerEc2Query, type Ec2EndpointOptions } from "./ec2-endpoint";
import type { NaclModel } from "./nacl-model";

/** The parts of the SDK's HTTP request and response (`@smithy/types`) the handler reads and writes. */
interface HttpRequestPart {
  readonly body?: unknown;
}
interface HttpResponsePart {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

/** What an `EC2Client` accepts as its `requestHandler`: the SDK's HTTP handler contract. */
export interface Ec2ModelRequestHandler {
  handle(request: HttpRequestPart): Promise<{ response: HttpResponsePart }>;
  updateHttpClientConfig(): void;
  httpHandlerConfigs(): Record<string, never>;
}

/**
 * The loopback endpoint without the socket: an `EC2Client` built with `requestHandler: ec2ModelRequestHandler(model)`
 * sends its requests to `model` in this process. Everything above the HTTP handler is the SDK's own and runs
 * unchanged (serialisation, the retry strategy and its throttling detection, XML deserialisation of answers and
 * errors), which aws-sdk-client-mock skips. Each answer comes on a later macrotask, so that parallel callers
 * interleave as they would over the network.
 */
export function ec2ModelRequestHandler(
  model: NaclModel,
  options: Ec2EndpointOptions = {},
): Ec2ModelRequestHandler {
  return {
    async handle(request) {
      await new Promise((resolve) => setImmediate(resolve));
      const body =
        typeof request.body === "string"
          ? request.body
          : Buffer.from((request.body as Uint8Array | undefined) ?? new Uint8Array()).toString("utf8");
      const { status, xml } = answerEc2Query(model, body, options.authorize);
      const response: HttpResponsePart = {
        statusCode: status,
        headers: { "content-type": "text/xml;charset=UTF-8" },
        body: Buffer.from(xml, "utf8"),
      };
      return { response };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
}
