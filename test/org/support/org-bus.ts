import type { OrgEventSink } from "../../../lambda/aws/org-publisher";
import { ORG_DETAIL_TYPES, ORG_EVENT_SOURCE, type OrgEvent } from "../../../lambda/core/org-event";
import { type Caller, type PolicyDocument, policyAllows } from "./bus-policy";

/** An EventBridge event as a rule target (and an SNS message from one) carries it. */
export interface BusEnvelope {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

/** Something the bus fans out to: a member's enforcer or the central recorder. Throws to fail a delivery. */
export type BusTarget = (envelope: BusEnvelope) => Promise<void>;

export interface DeliveryOptions {
  /** Chance that a delivery is repeated (at-least-once). @default 0.3 */
  readonly duplicateRate?: number;
  /** Deliver in a random order. @default true */
  readonly shuffle?: boolean;
}

/**
 * The central bus, its policy and its fan-out, in one process: `sinkFor(caller)` is what a member's publisher puts
 * through (refused unless the bus policy admits the caller, as EventBridge evaluates aws:PrincipalOrgID), and
 * `deliver()` hands every event put since the last call to every target at least once, in a random order, some
 * twice. A target that throws is retried twice (Lambda's asynchronous retries), then the event is dropped for that
 * target and counted in `dropped` (what the on-failure destination would hold).
 */
export class OrgBusStandIn {
  private readonly queue: BusEnvelope[] = [];
  private readonly targets = new Map<string, BusTarget>();
  private sequence = 0;
  /** Target name -> events it never took. */
  readonly dropped = new Map<string, BusEnvelope[]>();
  /** Deliveries made, per target. */
  readonly deliveries = new Map<string, number>();
  /** Put attempts refused by the policy. */
  refused = 0;

  constructor(
    private readonly policy: PolicyDocument,
    private readonly random: () => number,
  ) {}

  sinkFor(caller: Caller, region: string): OrgEventSink {
    return {
      put: async (events) => {
        if (!policyAllows(this.policy, caller, "events:PutEvents")) {
          this.refused++;
          const error = new Error(
            `User: arn:aws:iam::${caller.account}:root is not authorized to perform: events:PutEvents`,
          );
          error.name = "AccessDeniedException";
          throw error;
        }
        for (const event of events) this.queue.push(this.envelope(event, caller.account, region));
      },
    };
  }

  /** Puts a raw envelope (a forged or broken event) as if an admitted caller had sent it. */
  putRaw(envelope: BusEnvelope): void {
    this.queue.push(envelope);
  }

  subscribe(name: string, target: BusTarget): void {
    this.targets.set(name, target);
  }

  unsubscribe(name: string): void {
    this.targets.delete(name);
  }

  get queued(): number {
    return this.queue.length;
  }

  async deliver(options: DeliveryOptions = {}): Promise<void> {
    const batch = this.queue.splice(0);
    const duplicateRate = options.duplicateRate ?? 0.3;
    for (const [name, target] of this.targets) {
      const plan = batch.flatMap((envelope) =>
        this.random() < duplicateRate ? [envelope, envelope] : [envelope],
      );
      if (options.shuffle ?? true) {
        for (let index = plan.length - 1; index > 0; index--) {
          const other = Math.floor(this.random() * (index + 1));
          [plan[index], plan[other]] = [plan[other] as BusEnvelope, plan[index] as BusEnvelope];
        }
      }
      // Parallel, as Lambda runs concurrent invocations.
      await Promise.all(plan.map((envelope) => this.deliverOne(name, target, envelope)));
    }
  }

  private async deliverOne(name: string, target: BusTarget, envelope: BusEnvelope): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      this.deliveries.set(name, (this.deliveries.get(name) ?? 0) + 1);
      try {
        await target(envelope);
        return;
      } catch {
        // retried
      }
    }
    this.dropped.set(name, [...(this.dropped.get(name) ?? []), envelope]);
  }

  private envelope(event: OrgEvent, account: string, region: string): BusEnvelope {
    return {
      version: "0",
      id: `bus-${++this.sequence}`,
      "detail-type": ORG_DETAIL_TYPES[event.kind],
      source: ORG_EVENT_SOURCE,
      account,
      time: new Date(event.at * 1000).toISOString(),
      region,
      resources: [],
      detail: JSON.parse(JSON.stringify(event)),
    };
  }
}

/** An SNS delivery of one envelope, as the members' topic hands it to an enforcer. */
export function snsDelivery(envelope: BusEnvelope): unknown {
  return {
    Records: [{ EventSource: "aws:sns", Sns: { MessageId: envelope.id, Message: JSON.stringify(envelope) } }],
  };
}
