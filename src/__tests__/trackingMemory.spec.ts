import { describe, expect, it } from '@jest/globals';
import type { IStateDB } from '@jupyterlab/statedb';

import { TrackingMemory } from '../trackingMemory';

const KEY = 'jupyter-ext:tracked-notebooks';

/** A state database whose stored value arrives when the test says so. */
class SlowState {
  constructor(private readonly _stored: unknown) {}

  readonly saved: unknown[] = [];

  fetch(id: string): Promise<unknown> {
    expect(id).toBe(KEY);
    return new Promise(resolve => {
      this.load = () => resolve(this._stored);
    });
  }

  save(id: string, value: unknown): Promise<void> {
    expect(id).toBe(KEY);
    this.saved.push(value);
    return Promise.resolve();
  }

  load: () => void = () => {
    throw new Error('fetch was not called');
  };

  get db(): IStateDB {
    return this as unknown as IStateDB;
  }

  /** What the last save wrote, once every pending save has run. */
  async lastSaved(): Promise<unknown> {
    await new Promise(resolve => setTimeout(resolve, 0));
    return this.saved[this.saved.length - 1];
  }
}

describe('TrackingMemory', () => {
  it('remembers choices once the stored ones are loaded', async () => {
    const state = new SlowState(['a.ipynb']);
    const memory = new TrackingMemory(state.db);
    state.load();
    await memory.ready;
    expect(memory.has('a.ipynb')).toBe(true);
    memory.remember('b.ipynb', true);
    memory.remember('a.ipynb', false);
    expect(memory.has('a.ipynb')).toBe(false);
    expect(memory.has('b.ipynb')).toBe(true);
    expect(await state.lastSaved()).toEqual(['b.ipynb']);
  });

  it('keeps a notebook untracked before loading finished untracked', async () => {
    // The stored list still has the notebook when its load lands after the choice.
    const state = new SlowState(['a.ipynb', 'b.ipynb']);
    const memory = new TrackingMemory(state.db);
    memory.remember('a.ipynb', true);
    memory.remember('a.ipynb', false);
    expect(memory.has('a.ipynb')).toBe(false);
    state.load();
    await memory.ready;
    expect(memory.has('a.ipynb')).toBe(false);
    expect(memory.has('b.ipynb')).toBe(true);
    expect(await state.lastSaved()).toEqual(['b.ipynb']);
  });

  it('applies choices and renames made while loading, in order', async () => {
    const state = new SlowState(['old.ipynb', 'x.ipynb']);
    const memory = new TrackingMemory(state.db);
    memory.remember('new.ipynb', true);
    memory.rename('old.ipynb', 'moved.ipynb');
    memory.remember('x.ipynb', false);
    expect(memory.has('new.ipynb')).toBe(true);
    state.load();
    await memory.ready;
    expect(memory.has('old.ipynb')).toBe(false);
    expect(memory.has('moved.ipynb')).toBe(true);
    expect(memory.has('new.ipynb')).toBe(true);
    expect(memory.has('x.ipynb')).toBe(false);
    expect(await state.lastSaved()).toEqual(['new.ipynb', 'moved.ipynb']);
  });

  it('saves nothing when loading finds nothing changed meanwhile', async () => {
    const state = new SlowState(['a.ipynb']);
    const memory = new TrackingMemory(state.db);
    state.load();
    await memory.ready;
    memory.remember('a.ipynb', true); // already remembered
    memory.rename('other.ipynb', 'b.ipynb'); // never remembered
    expect(await state.lastSaved()).toBeUndefined();
  });

  it('works without a state database', async () => {
    const memory = new TrackingMemory(null);
    await memory.ready;
    memory.remember('a.ipynb', true);
    expect(memory.has('a.ipynb')).toBe(true);
  });
});
