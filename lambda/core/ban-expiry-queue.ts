/** A ban waiting to be lifted: when, and which jail and address. */
export interface ExpiringBan {
  readonly until: number;
  readonly jail: string;
  readonly ip: string;
}

/**
 * Timed bans ordered by end (a binary min-heap), so that finding the bans due by a time costs O(log n) per ban
 * instead of a scan of every active ban. Bans ending at the same moment come out in the order they were added.
 */
export class BanExpiryQueue {
  private readonly heap: Array<{ readonly ban: ExpiringBan; readonly order: number }> = [];
  private added = 0;

  get size(): number {
    return this.heap.length;
  }

  add(ban: ExpiringBan): void {
    this.heap.push({ ban, order: this.added++ });
    let child = this.heap.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.before(child, parent)) break;
      this.swap(child, parent);
      child = parent;
    }
  }

  /** Removes and returns the bans ending at or before `now`, earliest first. */
  takeDue(now: number): ExpiringBan[] {
    const due: ExpiringBan[] = [];
    while (this.heap.length > 0 && this.heap[0].ban.until <= now) due.push(this.takeFirst());
    return due;
  }

  private takeFirst(): ExpiringBan {
    const first = this.heap[0].ban;
    const last = this.heap.pop();
    if (this.heap.length > 0 && last) {
      this.heap[0] = last;
      let parent = 0;
      for (;;) {
        const left = parent * 2 + 1;
        const right = left + 1;
        let smallest = parent;
        if (left < this.heap.length && this.before(left, smallest)) smallest = left;
        if (right < this.heap.length && this.before(right, smallest)) smallest = right;
        if (smallest === parent) break;
        this.swap(parent, smallest);
        parent = smallest;
      }
    }
    return first;
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    return x.ban.until < y.ban.until || (x.ban.until === y.ban.until && x.order < y.order);
  }

  private swap(a: number, b: number): void {
    [this.heap[a], this.heap[b]] = [this.heap[b], this.heap[a]];
  }
}
