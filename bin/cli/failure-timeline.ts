/** One failure of one jail as the replay feeds it to the engine. */
export interface TimedFailure {
  /** Index of the jail among the replay's log jails. */
  readonly jail: number;
  readonly ip: string;
  readonly at: number;
}

/**
 * The failures of a whole log, kept compactly (typed arrays, each address stored once) so that a log of millions
 * of lines fits in little memory, and handed back in time order. Ties keep the order of addition, so failures
 * of one line stay in jail order and a log merged from several hosts sorts deterministically.
 */
export class FailureTimeline {
  private times = new Float64Array(1024);
  private jails = new Uint16Array(1024);
  private ips = new Uint32Array(1024);
  private readonly ipIds = new Map<string, number>();
  private readonly ipTexts: string[] = [];
  private sorted = true;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Time of the earliest failure, or undefined when there is none. */
  get firstTime(): number | undefined {
    return this.extreme((a, b) => a < b);
  }

  /** Time of the latest failure, or undefined when there is none. */
  get lastTime(): number | undefined {
    return this.extreme((a, b) => a > b);
  }

  private extreme(better: (a: number, b: number) => boolean): number | undefined {
    let found: number | undefined;
    for (let index = 0; index < this.count; index++) {
      if (found === undefined || better(this.times[index], found)) found = this.times[index];
    }
    return found;
  }

  add(jail: number, ip: string, at: number): void {
    if (this.count === this.times.length) this.grow();
    let id = this.ipIds.get(ip);
    if (id === undefined) {
      id = this.ipTexts.length;
      this.ipIds.set(ip, id);
      this.ipTexts.push(ip);
    }
    if (this.count > 0 && at < this.times[this.count - 1]) this.sorted = false;
    this.times[this.count] = at;
    this.jails[this.count] = jail;
    this.ips[this.count] = id;
    this.count++;
  }

  /** Every failure, earliest first (stable). */
  *inOrder(): Generator<TimedFailure> {
    const order = new Uint32Array(this.count);
    for (let index = 0; index < this.count; index++) order[index] = index;
    if (!this.sorted) order.sort((a, b) => this.times[a] - this.times[b] || a - b);
    for (const index of order)
      yield { jail: this.jails[index], ip: this.ipTexts[this.ips[index]], at: this.times[index] };
  }

  private grow(): void {
    const size = this.times.length * 2;
    const times = new Float64Array(size);
    times.set(this.times);
    const jails = new Uint16Array(size);
    jails.set(this.jails);
    const ips = new Uint32Array(size);
    ips.set(this.ips);
    this.times = times;
    this.jails = jails;
    this.ips = ips;
  }
}
