import { EC2ServiceException } from "@aws-sdk/client-ec2";

/** EC2 error codes the local NACL model raises, as AWS spells them. */
export type Ec2ErrorCode =
  | "InvalidParameterValue"
  | "InvalidParameterCombination"
  | "MissingParameter"
  | "InvalidAction"
  | "InvalidNetworkAclID.NotFound"
  | "InvalidNetworkAclEntry.NotFound"
  | "InvalidSubnetID.NotFound"
  | "InvalidInstanceID.NotFound"
  | "InvalidVpcID.NotFound"
  | "NetworkAclEntryAlreadyExists"
  | "NetworkAclEntryLimitExceeded"
  | "RequestLimitExceeded"
  | "DryRunOperation"
  | "UnauthorizedOperation"
  | "InternalError";

/** HTTP statuses EC2 gives its errors: 503 throttling, 500 its own faults, 412 DryRun, 403 denied, else 400. */
const HTTP_STATUS: Partial<Record<Ec2ErrorCode, number>> = {
  RequestLimitExceeded: 503,
  InternalError: 500,
  DryRunOperation: 412,
  UnauthorizedOperation: 403,
};

/**
 * An EC2 API error exactly as the SDK raises one: an `EC2ServiceException` whose `name` is the EC2 code,
 * with `$fault` and `$metadata.httpStatusCode`. The mock helper throws it as is; the loopback endpoint turns it
 * into EC2's XML error body, from which the real SDK builds the same error again.
 */
export class Ec2ApiError extends EC2ServiceException {
  readonly code: Ec2ErrorCode;
  readonly httpStatus: number;

  constructor(code: Ec2ErrorCode, message: string) {
    const httpStatus = HTTP_STATUS[code] ?? 400;
    super({
      name: code,
      message,
      $fault: httpStatus >= 500 ? "server" : "client",
      $metadata: { httpStatusCode: httpStatus, attempts: 1, totalRetryDelay: 0 },
    });
    // EC2ServiceException resets the prototype to its own; restore ours so that `instanceof Ec2ApiError` holds.
    Object.setPrototypeOf(this, Ec2ApiError.prototype);
    this.code = code;
    this.httpStatus = httpStatus;
  }
}
