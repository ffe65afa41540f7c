import {
  GetIPSetCommand,
  type GetIPSetCommandInput,
  UpdateIPSetCommand,
  type UpdateIPSetCommandInput,
  WAFV2Client,
} from "@aws-sdk/client-wafv2";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { parseCidr } from "../../lambda/core/ip";

/** An error as the SDK raises it: `name` is the WAF exception. */
function wafError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * A stateful WAFv2 IP set that enforces the rules cloudjail's adapter must respect: a LockToken from the latest Get
 * (a stale one raises WAFOptimisticLockException), at most 10,000 addresses (WAFLimitsExceededException), CIDRs of
 * the set's address version only (WAFInvalidParameterException), and at most one update per second of the model's
 * clock (ThrottlingException).
 */
export class WafIpSetModel {
  addresses: string[] = [];
  readonly calls = { get: 0, update: 0, rejected: 0 };
  /** Runs once between the next Get and its Update: another writer changing the set. */
  interleave: (() => void) | undefined;
  private token = 0;
  private lastUpdateAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly name: string,
    readonly id: string,
    readonly version: "IPV4" | "IPV6",
    private readonly clock: () => number,
  ) {}

  /** Another writer's update: bumps the lock token. */
  externalUpdate(addresses: string[]): void {
    this.addresses = addresses;
    this.token++;
  }

  /** Routes GetIPSet and UpdateIPSet of every WAFV2Client to this model. */
  mock(): AwsClientStub<WAFV2Client> {
    return mockWafIpSets([this]);
  }

  /** Answers a GetIPSet. */
  get(input: GetIPSetCommandInput) {
    this.calls.get++;
    this.check(input.Name, input.Id);
    const answer = {
      IPSet: {
        Name: this.name,
        Id: this.id,
        ARN: `arn:aws:wafv2:x:1:regional/ipset/${this.name}/${this.id}`,
        IPAddressVersion: this.version,
        Addresses: [...this.addresses],
      },
      LockToken: `token-${this.token}`,
    };
    const interleave = this.interleave;
    this.interleave = undefined;
    interleave?.();
    return answer;
  }

  /** Answers an UpdateIPSet, or throws the error WAF would. */
  update(input: UpdateIPSetCommandInput) {
    this.calls.update++;
    this.check(input.Name, input.Id);
    const reject = (name: string, message: string) => {
      this.calls.rejected++;
      return wafError(name, message);
    };
    if (this.clock() - this.lastUpdateAt < 1000)
      throw reject("ThrottlingException", "more than one update per second");
    if (input.LockToken !== `token-${this.token}`)
      throw reject("WAFOptimisticLockException", "stale LockToken");
    const addresses: string[] = input.Addresses ?? [];
    if (addresses.length > 10_000) throw reject("WAFLimitsExceededException", "more than 10,000 addresses");
    for (const text of addresses) {
      const cidr = parseCidr(text);
      if (!text.includes("/") || (cidr.family === "ipv4") !== (this.version === "IPV4")) {
        throw reject("WAFInvalidParameterException", `${text} is not an ${this.version} CIDR`);
      }
    }
    this.addresses = [...addresses];
    this.token++;
    this.lastUpdateAt = this.clock();
    return { NextLockToken: `token-${this.token}` };
  }

  private check(name: string | undefined, id: string | undefined): void {
    if (name !== this.name || id !== this.id)
      throw wafError("WAFNonexistentItemException", `no IP set ${name}/${id}`);
  }
}

/** Routes GetIPSet and UpdateIPSet of every WAFV2Client to the model of the IP set id asked for. */
export function mockWafIpSets(models: readonly WafIpSetModel[]): AwsClientStub<WAFV2Client> {
  const waf = mockClient(WAFV2Client);
  const model = (id: string | undefined) => {
    const found = models.find((candidate) => candidate.id === id);
    if (found === undefined) throw wafError("WAFNonexistentItemException", `no IP set with id ${id}`);
    return found;
  };
  waf.on(GetIPSetCommand).callsFake(async (input) => model(input.Id).get(input));
  waf.on(UpdateIPSetCommand).callsFake(async (input) => model(input.Id).update(input));
  return waf;
}
