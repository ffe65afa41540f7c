import type { BanRequest, BanService } from "./ban-service";
import type { IpRecord } from "./store-items";

/** A ban the responder decided but has not recorded yet: aggregation records it, covered or not, in one write. */
export interface ProposedBan {
  readonly request: BanRequest;
  /** The address's record as the batch read it (null: none). It holds no ban: a renewal is imposed at once. */
  readonly known: IpRecord | null;
}

/**
 * The proposed bans of one consolidation, each recorded at most once: with aggregation a batch's bans cost one
 * DynamoDB write each (issue 7), where recording and then marking each covered cost two. A proposal whose address
 * another writer banned first is `lost` (its failures are reported against that ban).
 */
export class ProposedBans {
  /** Proposals recorded, by address, as written. */
  readonly recorded = new Map<string, IpRecord>();
  /** Addresses another writer banned first. */
  readonly lost = new Set<string>();
  private readonly byIp: ReadonlyMap<string, ProposedBan>;

  constructor(
    private readonly bans: BanService,
    proposals: readonly ProposedBan[],
    private readonly now: number,
  ) {
    this.byIp = new Map(proposals.map((proposal) => [proposal.request.ip, proposal]));
  }

  /** The records the proposals would write: what the plans are made with. */
  records(): IpRecord[] {
    return [...this.byIp.values()].map((proposal) =>
      this.bans.proposal(proposal.request, this.now, proposal.known),
    );
  }

  /** True while `ip` is a proposal not yet recorded (nor lost). */
  awaits(ip: string): boolean {
    return this.byIp.has(ip) && !this.recorded.has(ip) && !this.lost.has(ip);
  }

  /** Addresses still waiting to be recorded. */
  waiting(): string[] {
    return [...this.byIp.keys()].filter((ip) => this.awaits(ip));
  }

  /** Records the proposal of `ip` shaped by `shape`; undefined when another writer banned the address first. */
  async record(
    ip: string,
    shape: (record: Omit<IpRecord, "version">) => Omit<IpRecord, "version"> = (record) => record,
  ): Promise<IpRecord | undefined> {
    const proposal = this.byIp.get(ip);
    if (proposal === undefined || !this.awaits(ip)) return this.recorded.get(ip);
    const result = await this.bans.imposeAs(proposal.request, this.now, proposal.known, shape);
    if (result.imposed && result.record !== undefined) {
      this.recorded.set(ip, result.record);
      return result.record;
    }
    this.lost.add(ip);
    return undefined;
  }
}
