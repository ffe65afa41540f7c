import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  ORG_DETAIL_TYPES,
  ORG_EVENT_SOURCE,
  type OrgEvent,
  type OrgOrigin,
  orgEventId,
} from "../core/org-event";
import type { CloudjailConfig } from "../core/types";
import type { BanNotice, Notifier } from "./notifier";

/** Where organization events go: the EventBridge bus (or, in tests, the bus stand-in). */
export interface OrgEventSink {
  put(events: readonly OrgEvent[]): Promise<void>;
}

/** PutEvents takes at most 10 entries per request. */
const PUT_EVENTS_LIMIT = 10;

/**
 * Puts organization events on an EventBridge bus: the account's default bus, whose rule forwards `cloudjail`
 * events of share `organization` to the central bus (lib/organization-member.ts), or the central bus's ARN.
 * An entry EventBridge refuses (`FailedEntryCount`) fails the call, naming the error.
 */
export class EventBridgeOrgSink implements OrgEventSink {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async put(events: readonly OrgEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += PUT_EVENTS_LIMIT) {
      const chunk = events.slice(start, start + PUT_EVENTS_LIMIT);
      const result = await this.client.send(
        new PutEventsCommand({
          Entries: chunk.map((event) => ({
            EventBusName: this.busName,
            Source: ORG_EVENT_SOURCE,
            DetailType: ORG_DETAIL_TYPES[event.kind],
            Resources: [],
            Detail: JSON.stringify(event),
            Time: new Date(event.at * 1000),
          })),
        }),
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        const failed = (result.Entries ?? []).find((entry) => entry.ErrorCode !== undefined);
        throw new Error(
          `EventBridge refused ${result.FailedEntryCount} of ${chunk.length} cloudjail events: ${failed?.ErrorCode}: ${failed?.ErrorMessage}`,
        );
      }
    }
  }
}

/** What {@link OrgPublisher} needs. */
export interface OrgPublisherOptions {
  readonly config: CloudjailConfig;
  readonly origin: OrgOrigin;
  readonly sink: OrgEventSink;
  /** Epoch ms. */
  readonly clock: () => number;
  /** A publish that failed: the ban stands here, the origin's next catch-up publishes it again. */
  readonly onError: (error: unknown, event: OrgEvent) => void;
}

/**
 * The responder's and unbanner's notifier when the stack belongs to an organization: notifies as before, then
 * publishes the ban, increment, unban or expiry of every jail with `share = organization`. Bans that came from
 * the organization (`org:` jails) are not jails of this configuration, so they never travel back.
 */
export class OrgPublisher implements Notifier {
  constructor(
    private readonly inner: Notifier,
    private readonly options: OrgPublisherOptions,
  ) {}

  async notify(notice: BanNotice): Promise<void> {
    await this.inner.notify(notice);
    const event = orgEventOfNotice(notice, this.options);
    if (event === undefined) return;
    try {
      await this.options.sink.put([event]);
    } catch (error) {
      this.options.onError(error, event);
    }
  }
}

/** The organization event a notice makes, or undefined when its jail is not shared (or it names no ban start). */
export function orgEventOfNotice(
  notice: BanNotice,
  options: Pick<OrgPublisherOptions, "config" | "origin" | "clock">,
): OrgEvent | undefined {
  const jail = options.config.jails.find((each) => each.name === notice.jail);
  if (jail?.share !== "organization") return undefined;
  const at = Math.floor(options.clock() / 1000);
  const endsAt = notice.until === null ? null : Math.floor(Date.parse(notice.until) / 1000);
  const banNumber = notice.banNumber ?? 1;
  const kind: OrgEvent["kind"] =
    notice.action === "ban"
      ? banNumber > 1
        ? "increment"
        : "ban"
      : endsAt !== null && endsAt <= at
        ? "expiry"
        : "unban";
  // An unban must name the ban it ends; a ban's start is its notice's, else now.
  if (notice.bannedAt === undefined && notice.action === "unban") return undefined;
  const bannedAt = notice.bannedAt === undefined ? at : Math.floor(Date.parse(notice.bannedAt) / 1000);
  const fields = {
    version: 1 as const,
    kind,
    share: "organization" as const,
    origin: options.origin,
    jail: notice.jail,
    ip: notice.ip,
    banNumber,
    bannedAt,
    endsAt,
    at,
    ...(notice.reason === undefined ? {} : { reason: notice.reason.slice(0, 500) }),
  };
  return { ...fields, id: orgEventId(fields) };
}
