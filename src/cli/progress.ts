/**
 * The progress bar of the `local-task-cache` tool ({@link ProgressBar}), drawn on stderr when it
 * is a terminal, for `prune` and a filtered `clear`. Private to the CLI.
 *
 * @module
 */

/** The width of the bar of {@link ProgressBar}, in characters. */
const BAR_WIDTH = 30;
/** The shortest time between two redraws, in milliseconds. */
const REDRAW_MS = 50;

/**
 * A progress bar on a terminal, redrawn in place with `\r`: `label [#####.....] 512/1024`.
 * Redraws at most every 50 ms (always the first and the last step; nothing for 0 steps);
 * `done()` erases it. Make one only when the stream is a terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgressBar } from "./progress.ts";
 *
 * let shown = "";
 * const bar = new ProgressBar((text) => (shown += text), "pruning");
 * bar.update(1, 2);
 * bar.update(2, 2);
 * assert.match(shown, /pruning \[#{30}\] 2\/2$/);
 * bar.done();
 * ```
 */
export class ProgressBar {
  readonly #write: (text: string) => void;
  readonly #label: string;
  #lastDraw = -Infinity;
  #lastLength = 0;

  /**
   * A bar writing with `write`, its lines starting with `label`.
   *
   * @param write Writes text to the terminal (stderr).
   * @param label What is in progress, e.g. `pruning`.
   */
  constructor(write: (text: string) => void, label: string) {
    this.#write = write;
    this.#label = label;
  }

  /** Shows that `done` of `total` steps are done. */
  update(done: number, total: number): void {
    if (total <= 0) return; // nothing to do: no bar
    const now = Date.now();
    if (done < total && done > 0 && now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    const filled = Math.min(BAR_WIDTH, Math.floor((done / total) * BAR_WIDTH));
    const text = `${this.#label} [${"#".repeat(filled)}${
      ".".repeat(BAR_WIDTH - filled)
    }] ${done}/${total}`;
    this.#write(`\r${text.padEnd(this.#lastLength)}`);
    this.#lastLength = text.length;
  }

  /** Erases the bar, if it was drawn, leaving the cursor at the start of the line. */
  done(): void {
    if (this.#lastLength === 0) return;
    this.#write(`\r${" ".repeat(this.#lastLength)}\r`);
    this.#lastLength = 0;
  }
}
