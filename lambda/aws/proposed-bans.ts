import type { BanRequest, BanService } from "./ban-service";
import type { CloudjailStore } from "./store";
import type { IpRecord } from "./store-items";

/** A ban the responder decided but has not recorded yet: aggregation records it, covered or not, in one write. */
export interface ProposedBan {
  readonly request: BanRequest;
  /** The address's record as the batch read it (null: none). It holds no ban: a renewal is imposed at once. */
  readonly known: IpRecord | null;
}

/**
 * The proposed bans of one consolidation, each recorded at most once: with aggregation a batch's bans cost one
 * DynamoDB write each (issue 7), where recording and then marking each covered cost two. The first record of an
 * address (none when the batch read it) is queued and written with the others, 25 per request, by {@link flush}:
 * the responder's mark on the address's window block already made this invocation the ban's one owner. A record
 * that exists is swapped like any other. A proposal whose address another writer banned first is `lost` (its
 * failures are reported against that ban).
 */
export class ProposedBans {
  /** Proposals recorded, by address, as written. */
  readonly recorded = new Map<string, IpRecord>();
  /** Addresses another writer banned first. */
  readonly lost = new Set<string>();
  private readonly byIp: ReadonlyMap<string, ProposedBan>;
  /** First records shaped, written by the next {@link flush}. */
  private readonly queued = new Map<string, Omit<IpRecord, "version">>();

  constructor(
    private readonly bans: BanService,
    private readonly store: Pick<CloudjailStore, "putNewRecords">,
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

  /** True while `ip` is a proposal not yet recorded, queued nor lost. */
  awaits(ip: string): boolean {
    return this.byIp.has(ip) && !this.recorded.has(ip) && !this.lost.has(ip) && !this.queued.has(ip);
  }

  /** True while `ip` is a proposal not written yet: waiting, or queued (a new shape replaces the queued one). */
  unwritten(ip: string): boolean {
    return this.awaits(ip) || this.queued.has(ip);
  }

  /** Addresses still waiting to be recorded. */
  waiting(): string[] {
    return [...this.byIp.keys()].filter((ip) => this.awaits(ip));
  }

  /**
   * Records the proposal of `ip` shaped by `shape`: at once when the address has a record, else queued for
   * {@link flush} (shaping a queued record again replaces it: still one write). Returns the record as it is, or
   * will be, written; undefined when another writer banned the address first.
   */
  async record(
    ip: string,
    shape: (record: Omit<IpRecord, "version">) => Omit<IpRecord, "version"> = (record) => record,
  ): Promise<IpRecord | undefined> {
    const proposal = this.byIp.get(ip);
    const queued = this.queued.get(ip);
    if (queued !== undefined) {
      const reshaped = shape(queued);
      this.queued.set(ip, reshaped);
      return { ...reshaped, version: 1 } as IpRecord;
    }
    if (proposal === undefined || !this.awaits(ip)) return this.recorded.get(ip);
    if (proposal.known === null) {
      const { version: _version, ...first } = this.bans.proposal(proposal.request, this.now, null);
      const shaped = shape(first);
      this.queued.set(ip, shaped);
      return { ...shaped, version: 1 } as IpRecord;
    }
    const result = await this.bans.imposeAs(proposal.request, this.now, proposal.known, shape);
    if (result.imposed && result.record !== undefined) {
      this.recorded.set(ip, result.record);
      return result.record;
    }
    this.lost.add(ip);
    return undefined;
  }

  /** Records the proposal of `ip` and writes it now (a caller about to enforce it needs it stored). */
  async recordNow(ip: string): Promise<IpRecord | undefined> {
    const record = await this.record(ip);
    await this.flush();
    return record === undefined ? undefined : (this.recorded.get(ip) ?? record);
  }

  /** Writes the queued first records, 25 per request. */
  async flush(): Promise<void> {
    if (this.queued.size === 0) return;
    const written = await this.store.putNewRecords([...this.queued.values()]);
    for (const record of written) {
      this.queued.delete(record.ip);
      this.recorded.set(record.ip, record);
    }
  }
}
