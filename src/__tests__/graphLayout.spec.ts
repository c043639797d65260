import { describe, expect, it } from '@jest/globals';

import {
  documentOrder,
  highlight,
  MAX_DAGRE_SPAN,
  downstreamOf,
  layoutGraph,
  mergeEdges,
  upstreamOf
} from '../model/graphLayout';
import type { IGraph, IGraphNode } from '../model/payloads';

function node(
  key: string,
  position: number | null,
  writes: string[] = []
): IGraphNode {
  return {
    key,
    seq: position === null ? 99 : position + 1,
    cell_id: key.startsWith('exec:') ? null : key,
    execution_count: position === null ? null : position + 1,
    position,
    writes,
    status: 'ok'
  };
}

/** a → b → c, a → c, and d (below c) feeding b: out of order. */
function sample(): IGraph {
  return {
    nodes: [
      node('c', 2, ['total']),
      node('a', 0, ['df']),
      node('b', 1, ['clean']),
      node('d', 3, ['rate']),
      node('e', 4)
    ],
    edges: [
      { from: 'a', to: 'b', name: 'df', out_of_order: false },
      { from: 'b', to: 'c', name: 'clean', out_of_order: false },
      { from: 'a', to: 'c', name: 'df', out_of_order: false },
      { from: 'd', to: 'b', name: 'rate', out_of_order: true },
      { from: 'a', to: 'b', name: 'n', out_of_order: false }
    ]
  };
}

const options = { filter: '', hideIsolated: false };

describe('graph reachability', () => {
  it('finds upstream and downstream transitively', () => {
    const graph = sample();
    expect([...upstreamOf(graph, 'c')].sort()).toEqual(['a', 'b', 'd']);
    expect([...downstreamOf(graph, 'a')].sort()).toEqual(['b', 'c']);
    expect(upstreamOf(graph, 'e').size).toBe(0);
  });

  it('terminates on cycles and never includes the start', () => {
    const graph: IGraph = {
      nodes: [node('a', 0), node('b', 1)],
      edges: [
        { from: 'a', to: 'b', name: 'x', out_of_order: false },
        { from: 'b', to: 'a', name: 'y', out_of_order: true }
      ]
    };
    expect([...upstreamOf(graph, 'a')]).toEqual(['b']);
  });

  it('merges edges per pair of cells', () => {
    const pairs = mergeEdges(sample());
    const ab = pairs.find(p => p.from === 'a' && p.to === 'b');
    expect(ab?.names).toEqual(['df', 'n']);
    expect(pairs).toHaveLength(4);
  });

  it('orders by document position, executions without a cell last', () => {
    const order = documentOrder([
      node('exec:7', null),
      node('b', 1),
      node('a', 0)
    ]);
    expect(order.map(n => n.key)).toEqual(['a', 'b', 'exec:7']);
  });
});

describe('layoutGraph', () => {
  it('lays cells out top to bottom in document order', () => {
    const layout = layoutGraph(sample(), options);
    const ys = ['a', 'b', 'c', 'd', 'e'].map(
      key => layout.nodes.find(n => n.key === key)?.y as number
    );
    for (let i = 1; i < ys.length; i++) {
      expect(ys[i]).toBeGreaterThan(ys[i - 1]);
    }
    expect(layout.width).toBeGreaterThan(0);
    expect(layout.height).toBeGreaterThan(ys[4]);
  });

  it('marks out-of-order edges and points their arrow up', () => {
    const layout = layoutGraph(sample(), options);
    const edge = layout.edges.find(e => e.from === 'd' && e.to === 'b');
    expect(edge?.outOfOrder).toBe(true);
    const points = edge?.points ?? [];
    expect(points.length).toBeGreaterThan(1);
    expect(points[points.length - 1].y).toBeLessThan(points[0].y);
    const normal = layout.edges.find(e => e.from === 'a' && e.to === 'b');
    expect(normal?.outOfOrder).toBe(false);
  });

  it('highlights the selected cell, its upstream and downstream', () => {
    const graph = sample();
    const plain = layoutGraph(graph, options);
    expect(plain.nodes.every(n => n.role === 'none')).toBe(true);
    const layout = highlight(plain, graph, 'b');
    expect(highlight(plain, graph, 'nowhere')).toBe(plain);
    const role = (key: string) => layout.nodes.find(n => n.key === key)?.role;
    expect(role('b')).toBe('selected');
    expect(role('a')).toBe('upstream');
    expect(role('d')).toBe('upstream');
    expect(role('c')).toBe('downstream');
    expect(role('e')).toBe('none');
    expect(layout.edges.find(e => e.from === 'b' && e.to === 'c')?.role).toBe(
      'downstream'
    );
    expect(layout.edges.find(e => e.from === 'a' && e.to === 'b')?.role).toBe(
      'upstream'
    );
  });

  it('filters by variable name and can hide unconnected cells', () => {
    const filtered = layoutGraph(sample(), { ...options, filter: 'DF' });
    expect(filtered.nodes.map(n => n.key).sort()).toEqual(['a', 'b', 'c']);
    expect(filtered.edges.every(e => e.names.every(n => n === 'df'))).toBe(
      true
    );
    expect(filtered.hidden).toBe(2);

    const connected = layoutGraph(sample(), { ...options, hideIsolated: true });
    expect(connected.nodes.map(n => n.key)).not.toContain('e');
  });

  it('keeps a filter match that only writes the name', () => {
    const layout = layoutGraph(sample(), { ...options, filter: 'total' });
    expect(layout.nodes.map(n => n.key)).toEqual(['c']);
  });

  it('lays out a 200-cell notebook quickly', () => {
    const nodes = Array.from({ length: 200 }, (_, i) =>
      node(`c${i}`, i, [`v${i}`])
    );
    const edges = [];
    for (let i = 1; i < 200; i++) {
      edges.push({
        from: `c${i - 1}`,
        to: `c${i}`,
        name: `v${i - 1}`,
        out_of_order: false
      });
      if (i % 7 === 0) {
        edges.push({
          from: `c${i}`,
          to: `c${i - 5}`,
          name: `v${i}`,
          out_of_order: true
        });
      }
      if (i % 11 === 0) {
        edges.push({
          from: 'c0',
          to: `c${i}`,
          name: 'v0',
          out_of_order: false
        });
      }
    }
    // The imports cell, read by every other cell.
    for (let i = 1; i < 200; i++) {
      edges.push({ from: 'c0', to: `c${i}`, name: 'pd', out_of_order: false });
    }
    layoutGraph({ nodes: nodes.slice(0, 20), edges: [] }, options);
    const start = Date.now();
    const layout = layoutGraph({ nodes, edges }, options);
    const elapsed = Date.now() - start;
    expect(layout.nodes).toHaveLength(200);
    expect(elapsed).toBeLessThan(1000);
    const ys = layout.nodes.map(n => n.y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    // Long edges run in lanes to the right of every cell.
    const right = Math.max(...layout.nodes.map(n => n.x + n.width / 2));
    const longEdge = layout.edges.find(e => e.from === 'c0' && e.to === 'c150');
    expect(longEdge?.points[1].x).toBeGreaterThan(right);
    expect(layout.width).toBeGreaterThan(longEdge?.points[1].x as number);
    expect(MAX_DAGRE_SPAN).toBeLessThan(150);
  });
});
