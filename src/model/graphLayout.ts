/**
 * The lineage graph as the panel draws it: cells top to bottom in document
 * order, one edge per (producer, consumer) pair carrying the names that flow,
 * laid out by dagre. Pure: the widget only turns the result into SVG.
 *
 * Document order is kept by giving every shown cell its own rank: consecutive
 * cells are chained with zero-weight edges, and an out-of-order edge (its
 * producer below its consumer) is laid out reversed and drawn with its
 * arrow pointing up. dagre then routes long edges around the cells between.
 */

import dagre from '@dagrejs/dagre';

import type { IGraph, IGraphNode } from './payloads';

export interface IGraphOptions {
  /** Show only variables whose name contains this text (case-insensitive). */
  filter: string;
  /** Leave out cells that neither feed nor read another shown cell. */
  hideIsolated: boolean;
}

export type Role = 'selected' | 'upstream' | 'downstream' | 'none';

export interface ILaidOutNode {
  key: string;
  node: IGraphNode;
  x: number;
  y: number;
  width: number;
  height: number;
  role: Role;
  /** Names this cell writes that the filter kept. */
  writes: string[];
}

export interface ILaidOutEdge {
  from: string;
  to: string;
  names: string[];
  outOfOrder: boolean;
  points: { x: number; y: number }[];
  role: Role;
}

export interface IGraphLayout {
  width: number;
  height: number;
  nodes: ILaidOutNode[];
  edges: ILaidOutEdge[];
  /** Cells of the graph not shown because of the filter or `hideIsolated`. */
  hidden: number;
}

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 34;

interface IPair {
  from: string;
  to: string;
  names: string[];
  outOfOrder: boolean;
}

/** Edges merged per (from, to) pair, names sorted. */
export function mergeEdges(graph: IGraph): IPair[] {
  const pairs = new Map<string, IPair>();
  for (const edge of graph.edges) {
    const id = JSON.stringify([edge.from, edge.to]);
    let pair = pairs.get(id);
    if (!pair) {
      pair = { from: edge.from, to: edge.to, names: [], outOfOrder: false };
      pairs.set(id, pair);
    }
    if (!pair.names.includes(edge.name)) {
      pair.names.push(edge.name);
    }
    pair.outOfOrder = pair.outOfOrder || edge.out_of_order;
  }
  for (const pair of pairs.values()) {
    pair.names.sort();
  }
  return [...pairs.values()];
}

/** Every cell `key` depends on, transitively (not `key` itself). */
export function upstreamOf(graph: IGraph, key: string): Set<string> {
  return reach(graph, key, edge => [edge.to, edge.from]);
}

/** Every cell that depends on `key`, transitively (not `key` itself). */
export function downstreamOf(graph: IGraph, key: string): Set<string> {
  return reach(graph, key, edge => [edge.from, edge.to]);
}

function reach(
  graph: IGraph,
  start: string,
  direction: (edge: { from: string; to: string }) => [string, string]
): Set<string> {
  const next = new Map<string, string[]>();
  for (const edge of graph.edges) {
    const [a, b] = direction(edge);
    const list = next.get(a);
    if (list) {
      list.push(b);
    } else {
      next.set(a, [b]);
    }
  }
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length) {
    const current = queue.pop() as string;
    for (const item of next.get(current) ?? []) {
      if (!seen.has(item) && item !== start) {
        seen.add(item);
        queue.push(item);
      }
    }
  }
  return seen;
}

/** Document order, with executions outside the document after it, by run order. */
export function documentOrder(nodes: IGraphNode[]): IGraphNode[] {
  return [...nodes].sort((a, b) => {
    if (a.position !== null && b.position !== null) {
      return a.position - b.position;
    }
    if (a.position !== null || b.position !== null) {
      return a.position === null ? 1 : -1;
    }
    return (a.seq ?? 0) - (b.seq ?? 0);
  });
}

/** Edges spanning more cells than this go to a side lane instead of through dagre. */
export const MAX_DAGRE_SPAN = 6;
const LANE_GAP = 8;

export function layoutGraph(
  graph: IGraph,
  options: IGraphOptions
): IGraphLayout {
  const needle = options.filter.trim().toLowerCase();
  const matches = (name: string) =>
    needle === '' || name.toLowerCase().includes(needle);

  const pairs = mergeEdges(graph)
    .map(pair => ({ ...pair, names: pair.names.filter(matches) }))
    .filter(pair => pair.names.length > 0);
  const connected = new Set<string>();
  for (const pair of pairs) {
    connected.add(pair.from);
    connected.add(pair.to);
  }
  const shown = documentOrder(graph.nodes).filter(node => {
    if (connected.has(node.key)) {
      return true;
    }
    if (needle !== '') {
      return node.writes.some(matches);
    }
    return !options.hideIsolated;
  });

  // dagre's cost grows with the cells an edge spans (one dummy node per rank
  // crossed): an import cell read by every cell below it made a 200-cell
  // layout take seconds. Long edges are therefore left out of its graph and
  // drawn in lanes beside the column.
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({
    rankdir: 'TB',
    nodesep: 24,
    ranksep: 18,
    edgesep: 8,
    marginx: 12,
    marginy: 12,
    ranker: 'longest-path'
  });
  g.setDefaultEdgeLabel(() => ({}));
  const rank = new Map<string, number>();
  shown.forEach((node, index) => {
    rank.set(node.key, index);
    g.setNode(node.key, { width: NODE_WIDTH, height: NODE_HEIGHT });
  });
  for (let i = 1; i < shown.length; i++) {
    g.setEdge(
      shown[i - 1].key,
      shown[i].key,
      { weight: 0, minlen: 1 },
      'order'
    );
  }
  const routed: { pair: IPair; a: number; b: number; name: string }[] = [];
  const long: { pair: IPair; a: number; b: number }[] = [];
  pairs.forEach((pair, index) => {
    const a = rank.get(pair.from);
    const b = rank.get(pair.to);
    if (a === undefined || b === undefined) {
      return;
    }
    if (Math.abs(a - b) > MAX_DAGRE_SPAN) {
      long.push({ pair, a, b });
      return;
    }
    const [top, bottom] = a <= b ? [pair.from, pair.to] : [pair.to, pair.from];
    const name = `e${index}`;
    g.setEdge(top, bottom, { weight: 1, minlen: 1 }, name);
    routed.push({ pair, a, b, name });
  });
  dagre.layout(g, { disableOptimalOrderHeuristic: true });

  const nodes: ILaidOutNode[] = shown.map(node => {
    const box = g.node(node.key);
    return {
      key: node.key,
      node,
      x: box.x ?? 0,
      y: box.y ?? 0,
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      role: 'none',
      writes: node.writes.filter(matches)
    };
  });
  const byKey = new Map(nodes.map(node => [node.key, node]));
  const edges: ILaidOutEdge[] = routed.map(({ pair, a, b, name }) => {
    const [top, bottom] = a <= b ? [pair.from, pair.to] : [pair.to, pair.from];
    const label = g.edge({ v: top, w: bottom, name });
    const raw: { x: number; y: number }[] = label?.points ?? [];
    const points = raw.map(p => ({ x: p.x, y: p.y }));
    if (a > b) {
      points.reverse();
    }
    return {
      from: pair.from,
      to: pair.to,
      names: pair.names,
      outOfOrder: pair.outOfOrder || a > b,
      points,
      role: 'none'
    };
  });

  const size = g.graph();
  let width = Math.max(size.width ?? 0, NODE_WIDTH + 24);
  const right = Math.max(...nodes.map(node => node.x + node.width / 2), 0);
  // One lane per producer: its long edges leave together and peel off at
  // each consumer. Lanes are reused where their spans do not overlap.
  const groups = new Map<string, { pair: IPair; a: number; b: number }[]>();
  for (const edge of long) {
    const list = groups.get(edge.pair.from) ?? [];
    list.push(edge);
    groups.set(edge.pair.from, list);
  }
  const laneEnds: number[] = [];
  const spans = [...groups.values()]
    .map(list => ({
      list,
      low: Math.min(...list.flatMap(e => [e.a, e.b])),
      high: Math.max(...list.flatMap(e => [e.a, e.b]))
    }))
    .sort((x, y) => x.low - y.low);
  for (const span of spans) {
    let lane = laneEnds.findIndex(end => end < span.low);
    if (lane < 0) {
      lane = laneEnds.length;
      laneEnds.push(span.high);
    } else {
      laneEnds[lane] = span.high;
    }
    const x = right + LANE_GAP * (lane + 1);
    for (const { pair, a, b } of span.list) {
      const from = byKey.get(pair.from) as ILaidOutNode;
      const to = byKey.get(pair.to) as ILaidOutNode;
      const fromY = from.y + (a < b ? 6 : -6);
      const toY = to.y + (a < b ? -6 : 6);
      edges.push({
        from: pair.from,
        to: pair.to,
        names: pair.names,
        outOfOrder: pair.outOfOrder || a > b,
        points: [
          { x: from.x + from.width / 2, y: fromY },
          { x, y: fromY },
          { x, y: toY },
          { x: to.x + to.width / 2, y: toY }
        ],
        role: 'none'
      });
    }
  }
  if (laneEnds.length) {
    width = Math.max(width, right + LANE_GAP * (laneEnds.length + 1) + 12);
  }
  return {
    width,
    height: Math.max(size.height ?? 0, NODE_HEIGHT + 24),
    nodes,
    edges,
    hidden: graph.nodes.length - shown.length
  };
}

/**
 * The layout with `selected`, its upstream and its downstream marked. Kept
 * apart from `layoutGraph` so that moving the selection never lays out again.
 */
export function highlight(
  layout: IGraphLayout,
  graph: IGraph,
  selected: string | null
): IGraphLayout {
  const present =
    selected !== null && layout.nodes.some(n => n.key === selected);
  if (!present) {
    return layout;
  }
  const key = selected as string;
  const upstream = upstreamOf(graph, key);
  const downstream = downstreamOf(graph, key);
  const roleOf = (item: string): Role =>
    item === key
      ? 'selected'
      : upstream.has(item)
        ? 'upstream'
        : downstream.has(item)
          ? 'downstream'
          : 'none';
  const within = (role: Role, side: Role) =>
    role === side || role === 'selected';
  return {
    ...layout,
    nodes: layout.nodes.map(node => ({ ...node, role: roleOf(node.key) })),
    edges: layout.edges.map(edge => {
      const from = roleOf(edge.from);
      const to = roleOf(edge.to);
      const role: Role =
        within(from, 'upstream') && within(to, 'upstream') && to !== 'none'
          ? 'upstream'
          : within(from, 'downstream') && within(to, 'downstream')
            ? 'downstream'
            : 'none';
      return { ...edge, role };
    })
  };
}
