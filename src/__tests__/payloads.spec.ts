import { describe, expect, it } from '@jest/globals';

import { cellLabel, formatDuration } from '../model/labels';
import {
  readGraph,
  readHistory,
  readLineage,
  readRun,
  readTimeline,
  readVariables
} from '../model/payloads';
import type { IResponseMessage } from '../protocol';

const response = (payload: Record<string, unknown>): IResponseMessage => ({
  type: 'response',
  request_id: 'r1',
  error: null,
  ...payload
});

describe('response payloads', () => {
  it('shows a kernel error as the reason', () => {
    const result = readGraph(
      response({
        error: "unknown request 'graph'; this kernel answers: history"
      })
    );
    expect(result).toEqual({
      value: null,
      error: "unknown request 'graph'; this kernel answers: history"
    });
  });

  it('says when an older kernel lacks the payload', () => {
    expect(readVariables(response({})).error).toContain('older version');
  });

  it('keeps well-formed graph entries and drops the rest', () => {
    const result = readGraph(
      response({
        graph: {
          nodes: [
            {
              key: 'a',
              seq: 1,
              cell_id: 'a',
              execution_count: 1,
              position: 0,
              writes: ['x', 3],
              status: 'ok'
            },
            { key: 'a', seq: 2 },
            { seq: 3 },
            'junk',
            {
              key: 'exec:4',
              seq: 4,
              cell_id: null,
              execution_count: null,
              position: null,
              writes: []
            }
          ],
          edges: [
            { from: 'a', to: 'exec:4', name: 'x', out_of_order: false },
            { from: 'a', to: 'missing', name: 'x' },
            null
          ]
        }
      })
    );
    expect(result.error).toBeNull();
    expect(result.value?.nodes.map(n => n.key)).toEqual(['a', 'exec:4']);
    expect(result.value?.nodes[0].writes).toEqual(['x']);
    expect(result.value?.edges).toHaveLength(1);
  });

  it('reads lineage, variables, timeline, history and run', () => {
    const lineage = readLineage(
      response({
        lineage: {
          name: 'df',
          current: {
            seq: 2,
            cell_id: 'b',
            execution_count: 2,
            digest: 'abc',
            kind: 'rebound'
          },
          produced_by: {
            seq: 2,
            cell_id: 'b',
            execution_count: 2,
            position: 1
          },
          history: [{ seq: 2, kind: 'rebound' }],
          inputs: [
            { name: 'raw', from: { seq: 1, cell_id: 'a' } },
            { from: {} }
          ],
          upstream: [{ seq: 1, cell_id: 'a' }],
          downstream: [{ seq: 3, cell_id: 'c', names: ['total'] }]
        }
      })
    );
    expect(lineage.value?.inputs).toHaveLength(1);
    expect(lineage.value?.downstream[0].names).toEqual(['total']);
    expect(lineage.value?.not_kept).toBeNull();

    const variables = readVariables(
      response({
        variables: [
          {
            name: 'df',
            type: 'DataFrame',
            digest: null,
            opaque: true,
            writer: { seq: 2, cell_id: 'b', execution_count: 2 },
            changed_seq: 2,
            mutated: true
          },
          { name: '' },
          { type: 'int' }
        ]
      })
    );
    expect(variables.value).toHaveLength(1);
    expect(variables.value?.[0]).toMatchObject({ opaque: true, mutated: true });

    const timeline = readTimeline(
      response({
        executions: [
          {
            seq: 2,
            cell_id: 'a',
            execution_count: 2,
            position: 0,
            start: 10.5,
            duration: 0.25,
            status: 'error'
          },
          { seq: 1, cell_id: null, start: 'x', duration: null },
          { cell_id: 'no-seq' }
        ]
      })
    );
    expect(timeline.value?.entries.map(e => e.seq)).toEqual([1, 2]);
    expect(timeline.value?.entries[0].start).toBeNull();
    expect(timeline.value?.not_kept).toBeNull();

    const history = readHistory(
      response({
        notebook: 'a.ipynb',
        current_run: 'r2',
        runs: [
          { run_id: 'r2', started_at: 1, executions: 3, errors: 0 },
          { run_id: 5 }
        ]
      })
    );
    expect(history.value?.runs).toHaveLength(1);

    const run = readRun(
      response({
        run: {
          run_id: 'r2',
          started_at: 1,
          python: '3.11.7',
          git: { commit: 'abc', dirty: true },
          packages: { numpy: '2.0.0' },
          previous: {
            run_id: 'r1',
            packages_added: {},
            packages_removed: {},
            packages_changed: { numpy: ['1.26.0', '2.0.0'], bad: ['x'] }
          }
        }
      })
    );
    expect(run.value?.packages).toEqual({ numpy: '2.0.0' });
    expect(run.value?.previous?.packages_changed).toEqual({
      numpy: ['1.26.0', '2.0.0']
    });
  });
});

describe('labels', () => {
  it('names cells by position and prompt', () => {
    expect(cellLabel(2, 5)).toBe('cell 3 [5]');
    expect(cellLabel(0, null)).toBe('cell 1');
    expect(cellLabel(null, 4)).toBe('deleted cell [4]');
  });

  it('formats durations for people', () => {
    expect(formatDuration(0.0123)).toBe('12 ms');
    expect(formatDuration(1.44)).toBe('1.4 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(null)).toBe('—');
  });
  it('reads the line a kernel sends when a report stops at its history limit', () => {
    const message =
      'lineage before execution [2101] is not kept in memory (history_limit=2000); ' +
      'the full run is in the store: `jupyter-ext show r1`';
    const notKept = {
      seq: 2101,
      execution_count: 2101,
      history_limit: 2000,
      run_id: 'r1',
      message
    };
    const lineage = readLineage(
      response({
        lineage: {
          name: 'x',
          current: { seq: 2500, cell_id: 'a', kind: 'written' },
          produced_by: { seq: 2500, cell_id: 'a' },
          history: [],
          inputs: [],
          upstream: [],
          downstream: [],
          not_kept: notKept
        }
      })
    );
    expect(lineage.value?.not_kept).toBe(message);
    const timeline = readTimeline(
      response({
        executions: [{ seq: 2101, cell_id: 'a', status: 'ok' }],
        not_kept: {
          ...notKept,
          message: 'the timeline before execution [2101] …'
        }
      })
    );
    expect(timeline.value?.entries).toHaveLength(1);
    expect(timeline.value?.not_kept).toBe(
      'the timeline before execution [2101] …'
    );
    const garbled = readLineage(
      response({ lineage: { name: 'x', not_kept: 'not an object' } })
    );
    expect(garbled.value?.not_kept).toBeNull();
  });
});
