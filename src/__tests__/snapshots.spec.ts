import { beforeEach, describe, expect, it, jest } from '@jest/globals';

import { SnapshotScheduler } from '../model/snapshots';
import type { INotebookCell, INotebookMessage } from '../protocol';

describe('SnapshotScheduler', () => {
  let cells: INotebookCell[];
  let sent: INotebookMessage[];
  let scheduler: SnapshotScheduler;

  beforeEach(() => {
    jest.useFakeTimers();
    cells = [{ id: 'a', cell_type: 'code', source: 'x = 1' }];
    sent = [];
    scheduler = new SnapshotScheduler(
      { path: () => 'nb.ipynb', cells: () => cells.map(c => ({ ...c })) },
      message => sent.push(message),
      400
    );
  });

  it('sends once when edits pause, not on every keystroke', () => {
    for (const source of ['x = 1', 'x = 12', 'x = 123']) {
      cells[0].source = source;
      scheduler.markDirty();
      jest.advanceTimersByTime(100);
    }
    expect(sent).toHaveLength(0);
    jest.advanceTimersByTime(400);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toEqual({
      type: 'notebook',
      seq: 1,
      path: 'nb.ipynb',
      cells: [{ id: 'a', cell_type: 'code', source: 'x = 123' }]
    });
  });

  it('flushes a pending snapshot at once (before an execution)', () => {
    cells[0].source = 'y = 2';
    scheduler.markDirty();
    scheduler.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0].cells[0].source).toBe('y = 2');
    jest.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
  });

  it('does nothing on flush when nothing is pending', () => {
    scheduler.flush();
    expect(sent).toHaveLength(0);
  });

  it('skips a snapshot equal to the last one, unless forced for a new comm', () => {
    expect(scheduler.send(true)).toBe(true);
    scheduler.markDirty();
    jest.advanceTimersByTime(400);
    expect(sent).toHaveLength(1);
    expect(scheduler.send(true)).toBe(true);
    expect(sent.map(m => m.seq)).toEqual([1, 2]);
  });

  it('numbers snapshots strictly increasing, across moves and deletions', () => {
    scheduler.send(true);
    cells.push({ id: 'b', cell_type: 'markdown', source: '# t' });
    scheduler.markDirty();
    jest.advanceTimersByTime(400);
    cells.reverse();
    scheduler.markDirty();
    scheduler.flush();
    cells.pop();
    scheduler.markDirty();
    jest.advanceTimersByTime(400);
    expect(sent.map(m => m.seq)).toEqual([1, 2, 3, 4]);
    expect(sent[2].cells.map(c => c.id)).toEqual(['b', 'a']);
    expect(sent[3].cells.map(c => c.id)).toEqual(['b']);
  });

  it('forgets a pending snapshot on cancel', () => {
    scheduler.markDirty();
    expect(scheduler.pending).toBe(true);
    scheduler.cancel();
    jest.advanceTimersByTime(1000);
    expect(sent).toHaveLength(0);
    expect(scheduler.pending).toBe(false);
  });
});
