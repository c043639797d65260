/**
 * The user's per-notebook tracking choices, kept in JupyterLab's state
 * database (saved with the workspace), not in the notebook: choosing to
 * track must not modify or dirty the document.
 */

import type { IStateDB } from '@jupyterlab/statedb';
import type { ReadonlyPartialJSONValue } from '@lumino/coreutils';

import { TrackedPaths } from './model/trackedPaths';

const STATE_KEY = 'jupyter-ext:tracked-notebooks';

export interface ITrackingMemory {
  /** Resolves once the stored choices are loaded (or failed to load). */
  readonly ready: Promise<void>;
  has(path: string): boolean;
  remember(path: string, tracked: boolean): void;
  rename(from: string, to: string): void;
}

type Change = (paths: TrackedPaths) => boolean;

export class TrackingMemory implements ITrackingMemory {
  constructor(private readonly _state: IStateDB | null) {
    this.ready = this._load();
  }

  readonly ready: Promise<void>;

  has(path: string): boolean {
    return this._paths.has(path);
  }

  remember(path: string, tracked: boolean): void {
    this._apply(paths => (tracked ? paths.add(path) : paths.remove(path)));
  }

  rename(from: string, to: string): void {
    this._apply(paths => paths.rename(from, to));
  }

  /**
   * Apply a change now and, while the stored choices are still loading,
   * again on them once they arrive: a notebook untracked or renamed before
   * then must not come back from the stored list.
   */
  private _apply(change: Change): void {
    const changed = change(this._paths);
    if (this._pending !== null) {
      this._pending.push(change);
    } else if (changed) {
      this._save();
    }
  }

  private async _load(): Promise<void> {
    const state = this._state;
    if (state === null) {
      this._pending = null;
      return;
    }
    let stored: unknown;
    try {
      stored = await state.fetch(STATE_KEY);
    } catch (reason) {
      console.warn(
        'jupyter-ext: remembered tracking choices unavailable',
        reason
      );
    }
    const pending = this._pending ?? [];
    this._pending = null;
    if (Array.isArray(stored)) {
      const paths = new TrackedPaths(stored);
      for (const change of pending) {
        change(paths);
      }
      this._paths = paths;
    }
    if (pending.length > 0) {
      this._save();
    }
  }

  private _save(): void {
    const state = this._state;
    if (state === null) {
      return;
    }
    // Saves run in the order they are made, each with the whole list as it
    // is then: the last one holds every choice made before it.
    state
      .save(STATE_KEY, this._paths.toJSON() as ReadonlyPartialJSONValue)
      .catch(reason =>
        console.warn('jupyter-ext: tracking choice not saved', reason)
      );
  }

  /** Changes made before the stored choices were loaded; null once loaded. */
  private _pending: Change[] | null = [];
  private _paths = new TrackedPaths();
}
