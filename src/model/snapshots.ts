/**
 * Debounced notebook snapshots (DESIGN contract 3).
 *
 * Typing marks the notebook dirty; the snapshot is built and sent only once
 * the edits pause, so no per-keystroke work runs on the main thread. An
 * execution flushes at once, so the kernel knows every cell's current source
 * when the cell runs. A snapshot equal to the last one sent is not sent again:
 * output and metadata changes mark the notebook dirty too, and the kernel
 * would only ignore them.
 */

import type { INotebookCell, INotebookMessage } from '../protocol';

export interface ISnapshotSource {
  /** The notebook's path, or null for an unsaved one. */
  path(): string | null;
  /** All cells, in document order. */
  cells(): INotebookCell[];
}

export interface ITimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const defaultTimers: ITimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: handle => clearTimeout(handle as ReturnType<typeof setTimeout>)
};

export class SnapshotScheduler {
  constructor(
    private readonly _source: ISnapshotSource,
    private readonly _send: (message: INotebookMessage) => void,
    private readonly _delayMs: number,
    private readonly _timers: ITimers = defaultTimers
  ) {}

  /** The `seq` of the last snapshot sent; 0 before the first. */
  get seq(): number {
    return this._seq;
  }

  get pending(): boolean {
    return this._timer !== null;
  }

  /** The notebook changed: send a snapshot once the changes pause. */
  markDirty(): void {
    if (this._timer !== null) {
      this._timers.clearTimeout(this._timer);
    }
    this._timer = this._timers.setTimeout(() => {
      this._timer = null;
      this.send(false);
    }, this._delayMs);
  }

  /** Send a pending snapshot now; does nothing when none is pending. */
  flush(): void {
    if (this._timer !== null) {
      this._timers.clearTimeout(this._timer);
      this._timer = null;
      this.send(false);
    }
  }

  /**
   * Build and send a snapshot. `force` sends even an unchanged one, for a new
   * comm: the kernel on the other end has seen nothing yet.
   */
  send(force: boolean): boolean {
    if (this._timer !== null) {
      this._timers.clearTimeout(this._timer);
      this._timer = null;
    }
    const path = this._source.path();
    const cells = this._source.cells();
    const key = snapshotKey(path, cells);
    if (!force && key === this._lastKey) {
      return false;
    }
    this._seq += 1;
    this._lastKey = key;
    this._send({ type: 'notebook', seq: this._seq, path, cells });
    return true;
  }

  /** Forget a pending snapshot, e.g. when the comm goes away. */
  cancel(): void {
    if (this._timer !== null) {
      this._timers.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _seq = 0;
  private _lastKey: string | null = null;
  private _timer: unknown = null;
}

function snapshotKey(path: string | null, cells: INotebookCell[]): string {
  return JSON.stringify([path, cells]);
}
