/**
 * A one-line progress bar for replaying a large file, drawn on a terminal only (`\r`, redrawn at most every 100 ms);
 * on a pipe or in CI it prints nothing, so that logs stay plain. Timeline lines are printed through {@link print},
 * which takes the bar away first and draws it again after.
 */
export class ProgressBar {
  private shown = "";
  private lastDraw = 0;
  private state = { bytes: 0, lines: 0, bans: 0 };

  /**
   * @param stream where the bar goes (standard error, so that standard output stays the timeline)
   * @param totalBytes size of the file; the bar is off when unknown (standard input)
   * @param clock wall-clock milliseconds, for throttling
   */
  constructor(
    private readonly stream: Pick<NodeJS.WriteStream, "write" | "isTTY" | "columns">,
    private readonly totalBytes: number | undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /** True when a bar is drawn at all. */
  get enabled(): boolean {
    return this.stream.isTTY === true && this.totalBytes !== undefined && this.totalBytes > 0;
  }

  /** Records progress; redraws when 100 ms passed since the last drawing. */
  update(bytes: number, lines: number, bans: number): void {
    this.state = { bytes, lines, bans };
    if (!this.enabled || this.clock() - this.lastDraw < 100) return;
    this.draw();
  }

  /** Writes `text` (whole lines) without tearing the bar. */
  print(write: (text: string) => void, text: string): void {
    if (text === "") return;
    const hadBar = this.shown !== "";
    this.clear();
    write(text);
    if (hadBar) this.draw();
  }

  /** Removes the bar from the terminal. */
  clear(): void {
    if (this.shown === "") return;
    this.stream.write(`\r${" ".repeat(this.shown.length)}\r`);
    this.shown = "";
  }

  /** The bar's text for the current state, e.g. `[########------------]  40%  5,120 lines  3 bans`. */
  text(width = 20): string {
    const total = this.totalBytes ?? 0;
    const fraction = total > 0 ? Math.min(1, this.state.bytes / total) : 0;
    const filled = Math.round(fraction * width);
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const { lines, bans } = this.state;
    return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${percent}  ${lines.toLocaleString("en-US")} lines  ${bans} bans`;
  }

  private draw(): void {
    this.lastDraw = this.clock();
    const text = this.text().slice(0, Math.max(10, (this.stream.columns || 80) - 1));
    this.stream.write(`\r${text}${" ".repeat(Math.max(0, this.shown.length - text.length))}`);
    this.shown = text;
  }
}
