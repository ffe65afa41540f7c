import type { IpFamily } from "../core/ip";
import { checkReservedRange, type NaclRule, planSlots } from "../core/nacl-plan";
import type { NaclSettings, PortRange } from "../core/types";
import type { NaclEnforcer } from "./nacl-enforcer";
import type { SlotLeases } from "./slot-leases";
import type { SlotLease } from "./store-items";

/** The DENY entry one ban needs in one NACL. */
export interface PlacementRequest {
  readonly naclId: string;
  readonly ip: string;
  readonly cidr: string;
  readonly family: IpFamily;
  readonly banId: string;
  readonly portRange?: PortRange;
}

/** Where an entry went: a rule number, or why it could not be written yet (never silent). */
export type Placement =
  | { readonly status: "placed"; readonly ruleNumber: number }
  | { readonly status: "pending"; readonly reason: string };

/** Counters for telemetry and the benchmark. */
export interface AllocatorStats {
  leasesTaken: number;
  leaseConflicts: number;
  entryConflicts: number;
}

interface NaclView {
  rules: NaclRule[];
  leases: SlotLease[];
}

const MAX_PLACEMENT_ROUNDS = 8;

/**
 * Places DENY entries with rule numbers from the reserved range: lease a number (conditional write), then write
 * the entry. One allocator serves one invocation: it reads each NACL's entries and leases once, then keeps its view
 * current as it leases, so a burst of bans costs one DescribeNetworkAcls per NACL, not one per ban. Placements in
 * one NACL run one at a time; different NACLs in parallel. Parallel invocations are kept apart by the leases.
 *
 * Quota: an entry is placed only while `quota - entries of its family` (leases without a visible entry counted
 * as entries) leaves room, and EC2's own `NetworkAclEntryLimitExceeded` is honoured too: either way the ban is
 * reported pending with a reason, and the lease is given back.
 */
export class SlotAllocator {
  readonly stats: AllocatorStats = { leasesTaken: 0, leaseConflicts: 0, entryConflicts: 0 };
  private readonly views = new Map<string, Promise<NaclView>>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly leases: SlotLeases,
    private readonly enforcer: NaclEnforcer,
    private readonly settings: Pick<NaclSettings, "reservedRuleRange" | "quota">,
  ) {}

  /** Leases a number and writes the entry; the lease is released again whenever no entry results. */
  place(request: PlacementRequest, now: number): Promise<Placement> {
    return this.serialised(request.naclId, () => this.placeNow(request, now));
  }

  /** How many more entries of `family` fit in a NACL, by this invocation's view. */
  async freeSlots(naclId: string, family: IpFamily): Promise<number> {
    const view = await this.view(naclId);
    return planSlots(effectiveRules(view), this.settings.reservedRuleRange, this.settings.quota, family)
      .freeSlots;
  }

  /** Forgets what was read, e.g. after the caller removed entries itself. */
  forget(naclId: string): void {
    this.views.delete(naclId);
  }

  private async placeNow(request: PlacementRequest, now: number): Promise<Placement> {
    let view: NaclView;
    try {
      view = await this.view(request.naclId);
      checkReservedRange(request.naclId, view.rules, this.settings.reservedRuleRange);
    } catch (error) {
      this.views.delete(request.naclId);
      return { status: "pending", reason: `cannot use ${request.naclId}: ${(error as Error).message}` };
    }
    for (let round = 0; round < MAX_PLACEMENT_ROUNDS; round++) {
      const plan = planSlots(
        effectiveRules(view),
        this.settings.reservedRuleRange,
        this.settings.quota,
        request.family,
      );
      if (plan.freeSlots === 0) {
        return {
          status: "pending",
          reason:
            plan.freeNumbers.length === 0
              ? `reserved range ${rangeText(this.settings)} of ${request.naclId} is full`
              : `${request.naclId} holds its quota of ${this.settings.quota} ${request.family} entries`,
        };
      }
      // The lowest free number first; after a lost race, any free one, so that competing writers spread out.
      const pick =
        round === 0 ? 0 : Math.floor(Math.random() * Math.min(plan.freeNumbers.length, plan.freeSlots));
      const ruleNumber = plan.freeNumbers[pick] as number;
      const lease = await this.leases.acquire({ ...request, ruleNumber, now });
      if (lease === undefined) {
        // Another invocation leased it since we looked: read the leases again and pick anew.
        this.stats.leaseConflicts++;
        view.leases = await this.leases.list(request.naclId);
        continue;
      }
      this.stats.leasesTaken++;
      view.leases.push(lease);
      let result: Awaited<ReturnType<NaclEnforcer["addDeny"]>>;
      try {
        result = await this.enforcer.addDeny({
          naclId: request.naclId,
          ruleNumber,
          cidr: request.cidr,
          portRange: request.portRange,
        });
      } catch (error) {
        await this.giveBack(view, request, ruleNumber);
        return {
          status: "pending",
          reason: `EC2 refused the entry in ${request.naclId}: ${(error as Error).message}`,
        };
      }
      if (result.status === "added" || result.status === "exists") {
        view.rules.push({ ruleNumber, egress: false, action: "deny", cidr: request.cidr, protocol: "-1" });
        return { status: "placed", ruleNumber };
      }
      await this.giveBack(view, request, ruleNumber);
      if (result.status === "full") {
        return {
          status: "pending",
          reason: `${request.naclId} refused the entry: NetworkAclEntryLimitExceeded (quota of ${request.family} entries reached)`,
        };
      }
      // The number holds an entry nobody leased (drift, left for the unbanner): never touch it, use another.
      this.stats.entryConflicts++;
      view.rules.push(result.existing);
    }
    return {
      status: "pending",
      reason: `no rule number of ${request.naclId} could be leased after ${MAX_PLACEMENT_ROUNDS} tries`,
    };
  }

  private async giveBack(view: NaclView, request: PlacementRequest, ruleNumber: number): Promise<void> {
    await this.leases.release(request.naclId, ruleNumber, request.banId);
    view.leases = view.leases.filter((lease) => lease.ruleNumber !== ruleNumber);
  }

  private view(naclId: string): Promise<NaclView> {
    let view = this.views.get(naclId);
    if (view === undefined) {
      view = Promise.all([this.enforcer.readEntries(naclId), this.leases.list(naclId)]).then(
        ([rules, leases]) => ({
          rules,
          leases,
        }),
      );
      this.views.set(naclId, view);
    }
    return view;
  }

  private serialised<T>(naclId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(naclId) ?? Promise.resolve();
    const next = previous.then(task, task);
    this.queues.set(
      naclId,
      next.catch(() => undefined),
    );
    return next;
  }
}

/** The NACL's ingress rules plus leased numbers whose entries are not visible (yet): both take numbers and quota. */
function effectiveRules(view: NaclView): NaclRule[] {
  const rules = view.rules.filter((rule) => !rule.egress);
  const numbers = new Set(rules.map((rule) => rule.ruleNumber));
  for (const lease of view.leases) {
    if (numbers.has(lease.ruleNumber)) continue;
    numbers.add(lease.ruleNumber);
    rules.push({
      ruleNumber: lease.ruleNumber,
      egress: false,
      action: "deny",
      cidr: lease.cidr,
      protocol: "-1",
    });
  }
  return rules;
}

function rangeText(settings: Pick<NaclSettings, "reservedRuleRange">): string {
  return `${settings.reservedRuleRange.first}-${settings.reservedRuleRange.last}`;
}
