/**
 * The demo's simulated time. It follows the log being replayed (never backwards) so that findtime windows close
 * and bans end as the log's own time passes, and it fires the unbanner's schedule (EventBridge `rate(1 minute)`)
 * at every whole interval the log's time crosses, in order, before the lines that come after it.
 */
export class DemoClock {
  private current: number;
  private nextRun: number;

  /**
   * @param start epoch ms the clock starts at (the first line's time)
   * @param intervalMs the unbanner's schedule; @default 60000
   */
  constructor(
    start: number,
    private readonly intervalMs = 60_000,
  ) {
    this.current = start;
    this.nextRun = (Math.floor(start / intervalMs) + 1) * intervalMs;
  }

  /** Epoch ms now, in the demo's world: what the responder and unbanner read as the current time. */
  now(): number {
    return this.current;
  }

  /** When the unbanner runs next (epoch ms). */
  get nextScheduledRun(): number {
    return this.nextRun;
  }

  /**
   * Moves the clock to `time` if that is later. At each schedule time crossed on the way, the clock reads that
   * time while `onScheduledRun` runs (and is awaited), so an unban happens at the minute it is due.
   */
  async advanceTo(time: number, onScheduledRun: (at: number) => Promise<void>): Promise<void> {
    while (this.nextRun <= time) {
      const at = this.nextRun;
      this.current = Math.max(this.current, at);
      this.nextRun += this.intervalMs;
      await onScheduledRun(at);
    }
    this.current = Math.max(this.current, time);
  }
}
