import { type CloudWatchLogsClient, paginateDescribeLogStreams } from "@aws-sdk/client-cloudwatch-logs";
import { lastEventByInstance, type StreamActivity } from "../core/fleet-silence";

/**
 * When each instance last shipped an auth-log line, read from the streams of the given log groups with an injected
 * `CloudWatchLogsClient` (DescribeLogStreams only: no log event is read). The agent names streams by instance id,
 * possibly with a per-source suffix; lambda/core/fleet-silence.ts decides which stream is whose.
 */
export class LogStreamActivity {
  /** DescribeLogStreams pages read. */
  calls = 0;

  constructor(private readonly client: CloudWatchLogsClient) {}

  /** Instance id -> epoch ms of its newest event over every stream of every group. */
  async lastEvents(logGroupNames: readonly string[]): Promise<Map<string, number>> {
    const streams: StreamActivity[] = [];
    for (const logGroupName of logGroupNames) {
      // 50 streams a page is DescribeLogStreams' largest; ordered by name so that no stream is skipped or repeated.
      for await (const page of paginateDescribeLogStreams(
        { client: this.client },
        { logGroupName, limit: 50 },
      )) {
        this.calls += 1;
        streams.push(...(page.logStreams ?? []));
      }
    }
    return lastEventByInstance(streams);
  }
}
