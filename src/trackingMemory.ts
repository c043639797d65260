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

export class TrackingMemory implements ITrackingMemory {
  constructor(private readonly _state: IStateDB | null) {
    this.ready = this._load();
  }

  readonly ready: Promise<void>;

  has(path: string): boolean {
    return this._paths.has(path);
  }

  remember(path: string, tracked: boolean): void {
    const changed = tracked ? this._paths.add(path) : this._paths.remove(path);
    if (changed) {
      this._save();
    }
  }

  rename(from: string, to: string): void {
    if (this._paths.rename(from, to)) {
      this._save();
    }
  }

  private async _load(): Promise<void> {
    if (this._state === null) {
      return;
    }
    try {
      const stored = await this._state.fetch(STATE_KEY);
      if (Array.isArray(stored)) {
        // Choices made before loading finished win over stored ones.
        const current = this._paths.toJSON();
        this._paths = new TrackedPaths([...stored, ...current]);
      }
    } catch (reason) {
      console.warn(
        'jupyter-ext: remembered tracking choices unavailable',
        reason
      );
    }
  }

  private _save(): void {
    const state = this._state;
    if (state === null) {
      return;
    }
    void this.ready
      .then(() =>
        state.save(STATE_KEY, this._paths.toJSON() as ReadonlyPartialJSONValue)
      )
      .catch(reason =>
        console.warn('jupyter-ext: tracking choice not saved', reason)
      );
  }

  private _paths = new TrackedPaths();
}
