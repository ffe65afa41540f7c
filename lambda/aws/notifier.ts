import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";

/** What a ban or unban notification says. */
export interface BanNotice {
  readonly action: "ban" | "unban";
  readonly jail: string;
  readonly ip: string;
  /** Failures that caused the ban. */
  readonly failures: number;
  /** ISO 8601 end of the ban; null for a permanent ban. */
  readonly until: string | null;
  /** NACL id -> rule number of the entries written (ban) or removed (unban). */
  readonly nacls: Readonly<Record<string, number>>;
  /** NACL id -> why no entry is there yet (ban only). */
  readonly pending?: Readonly<Record<string, string>>;
  readonly reason?: string;
  readonly banNumber?: number;
  readonly instanceId?: string;
  /** ISO 8601 start of the ban (of the ban lifted, for an unban): what ties an unban to its ban (issue 16). */
  readonly bannedAt?: string;
  /** false: the ban's jail is detect-only (no NACL entry); absent: enforced (issue 15 §1). */
  readonly enforced?: boolean;
}

/** Tells people about bans and unbans. */
export interface Notifier {
  notify(notice: BanNotice): Promise<void>;
}

/** The notifier when no topic is configured. */
export const SILENT_NOTIFIER: Notifier = { notify: async () => {} };

/**
 * One SNS message per ban and unban: a readable subject, the notice as JSON in the body, and message attributes
 * (`action`, `jail`) so that subscriptions can filter.
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(notice: BanNotice): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subjectOf(notice),
        Message: JSON.stringify(notice, null, 2),
        MessageAttributes: {
          action: { DataType: "String", StringValue: notice.action },
          jail: { DataType: "String", StringValue: notice.jail },
        },
      }),
    );
  }
}

/** `cloudjail: banned 203.0.113.9 (sshd) until 2026-11-25T13:00:00.000Z`; SNS caps subjects at 100 characters. */
export function subjectOf(notice: BanNotice): string {
  const verb = notice.action === "ban" ? "banned" : "unbanned";
  const until = notice.action === "ban" ? ` until ${notice.until ?? "forever"}` : "";
  return `cloudjail: ${verb} ${notice.ip} (${notice.jail})${until}`.slice(0, 100);
}
