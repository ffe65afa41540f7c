import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ReplaceNetworkAclEntryCommand,
} from "@aws-sdk/client-ec2";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { Ec2ApiError } from "../../bin/local/ec2-api-error";
import type { NaclModel } from "../../bin/local/nacl-model";

/**
 * Routes every NACL, instance, subnet and VPC command of every `EC2Client` to `model`, through aws-sdk-client-mock.
 * Model errors reach callers as the SDK raises them (`error.name` is the EC2 code). Commands the model does not
 * answer are rejected with `InvalidAction`, so an unexpected call fails a test instead of returning undefined.
 *
 * Each call is answered on a later macrotask so that parallel callers interleave as they would over the network.
 * Call `restore()` on the returned stub in `afterEach`.
 *
 * @example
 * const model = new NaclModel({ quota: 20 });
 * const ec2 = mockEc2WithNaclModel(model);
 * afterEach(() => ec2.restore());
 */
export function mockEc2WithNaclModel(model: NaclModel): AwsClientStub<EC2Client> {
  const ec2 = mockClient(EC2Client);
  ec2.onAnyCommand().callsFake(async () => {
    throw new Ec2ApiError("InvalidAction", "The NACL model does not answer this action.");
  });
  ec2.on(CreateNetworkAclEntryCommand).callsFake((input) => answer(() => model.createNetworkAclEntry(input)));
  ec2
    .on(ReplaceNetworkAclEntryCommand)
    .callsFake((input) => answer(() => model.replaceNetworkAclEntry(input)));
  ec2.on(DeleteNetworkAclEntryCommand).callsFake((input) => answer(() => model.deleteNetworkAclEntry(input)));
  ec2.on(DescribeNetworkAclsCommand).callsFake((input) => answer(() => model.describeNetworkAcls(input)));
  ec2.on(DescribeInstancesCommand).callsFake((input) => answer(() => model.describeInstances(input)));
  ec2.on(DescribeSubnetsCommand).callsFake((input) => answer(() => model.describeSubnets(input)));
  ec2.on(DescribeVpcsCommand).callsFake((input) => answer(() => model.describeVpcs(input)));
  return ec2;
}

async function answer<T extends object>(
  call: () => T,
): Promise<T & { $metadata: { httpStatusCode: number } }> {
  await new Promise((resolve) => setImmediate(resolve));
  return { ...call(), $metadata: { httpStatusCode: 200 } };
}
