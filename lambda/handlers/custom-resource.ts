import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from "aws-lambda";

/**
 * The physical id of cloudjail's custom resources. It never changes: a new id in an Update's answer would make
 * CloudFormation take the Update for a replacement and send a Delete for the old id, and a Delete uninstalls.
 */
export const CUSTOM_RESOURCE_ID = "cloudjail";

/** CloudFormation keeps at most 4 KiB of an answer; the reason is cut well below that. */
const REASON_LIMIT = 2_000;

/**
 * The answer to one CloudFormation custom resource request: Create and Update do nothing; Delete runs `onDelete`,
 * whose text becomes the reason. An error becomes a FAILED answer naming it, never an unanswered request
 * (CloudFormation would wait an hour for one).
 */
export async function answerCustomResource(
  event: CloudFormationCustomResourceEvent,
  onDelete: () => Promise<string>,
): Promise<CloudFormationCustomResourceResponse> {
  const common = {
    PhysicalResourceId: event.RequestType === "Create" ? CUSTOM_RESOURCE_ID : event.PhysicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  };
  if (event.RequestType !== "Delete") return { ...common, Status: "SUCCESS" };
  try {
    return { ...common, Status: "SUCCESS", Reason: cut(await onDelete()) };
  } catch (error) {
    return {
      ...common,
      Status: "FAILED",
      Reason: cut(`${(error as Error).name}: ${(error as Error).message}`),
    };
  }
}

/** Sends `response` to the request's pre-signed S3 URL (a PUT with no content type, as the URL was signed). */
export async function sendCustomResourceResponse(
  responseUrl: string,
  response: CloudFormationCustomResourceResponse,
  put: typeof fetch = fetch,
): Promise<void> {
  const answer = await put(responseUrl, {
    method: "PUT",
    headers: { "content-type": "" },
    body: JSON.stringify(response),
  });
  if (!answer.ok)
    throw new Error(`CloudFormation's response URL answered ${answer.status} ${answer.statusText}`);
}

function cut(text: string): string {
  return text.length <= REASON_LIMIT ? text : `${text.slice(0, REASON_LIMIT - 1)}…`;
}
