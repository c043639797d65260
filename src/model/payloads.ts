/**
 * Typed views of the payloads the kernel sends in `response` messages.
 *
 * Responses are untrusted JSON like every comm message, and the request kinds
 * (`variables`, `timeline`, `run`) grow with kernel versions. The readers here
 * never throw: an entry that lacks what the panel needs is dropped, an absent
 * optional field becomes null, and a payload that is not there at all yields
 * an error string the tab shows as text.
 */

import type { IResponseMessage } from '../protocol';

export type Payload<T> =
  { value: T; error: null } | { value: null; error: string };

/** Where one execution ran: the common shape of `produced_by`, `from`, `upstream`... */
export interface IExecutionRef {
  seq: number | null;
  cell_id: string | null;
  execution_count: number | null;
  position: number | null;
}

export interface IGraphNode extends IExecutionRef {
  /** The cell id, or `exec:N` for an execution that had no cell id. */
  key: string;
  writes: string[];
  status: string;
}

export interface IGraphEdge {
  from: string;
  to: string;
  name: string;
  out_of_order: boolean;
}

export interface IGraph {
  nodes: IGraphNode[];
  edges: IGraphEdge[];
}

export interface IVersion {
  seq: number | null;
  cell_id: string | null;
  execution_count: number | null;
  digest: string | null;
  kind: string;
}

export interface ILineage {
  name: string;
  current: IVersion | null;
  produced_by: IExecutionRef | null;
  history: IVersion[];
  inputs: { name: string; from: IExecutionRef | null }[];
  upstream: IExecutionRef[];
  downstream: (IExecutionRef & { names: string[] })[];
  /**
   * Set when the walk reached executions the kernel no longer holds in memory
   * (beyond its history limit): one line saying so, and where the full run is.
   */
  not_kept: string | null;
}

export interface IVariable {
  name: string;
  type: string;
  digest: string | null;
  opaque: boolean;
  writer: IExecutionRef | null;
  changed_seq: number | null;
  mutated: boolean;
}

export interface ITimelineEntry {
  seq: number;
  cell_id: string | null;
  execution_count: number | null;
  position: number | null;
  /** Seconds since the epoch. */
  start: number | null;
  /** Seconds. */
  duration: number | null;
  status: string;
}

export interface ITimeline {
  entries: ITimelineEntry[];
  /** Set when earlier executions are no longer held in the kernel's memory. */
  not_kept: string | null;
}

export interface IRunSummary {
  run_id: string;
  started_at: number | null;
  ended_at: number | null;
  notebook_path: string | null;
  executions: number | null;
  errors: number | null;
  kernel: string | null;
}

export interface IHistory {
  notebook: string | null;
  current_run: string | null;
  runs: IRunSummary[];
}

export interface IRunDiff {
  run_id: string | null;
  packages_added: Record<string, string>;
  packages_removed: Record<string, string>;
  packages_changed: Record<string, [string, string]>;
}

export interface IRunInfo {
  run_id: string;
  started_at: number | null;
  kernel: string | null;
  /** Free-form values shown as text: their shape varies between kernels. */
  python: unknown;
  platform: unknown;
  git: unknown;
  packages: Record<string, string>;
  previous: IRunDiff | null;
}

type JSONObject = Record<string, unknown>;

function isObject(value: unknown): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function strings(value: unknown): string[] {
  return list(value).filter((item): item is string => typeof item === 'string');
}

function stringMap(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (item !== null && item !== undefined) {
        result[key] = typeof item === 'string' ? item : JSON.stringify(item);
      }
    }
  }
  return result;
}

function ref(value: unknown): IExecutionRef | null {
  if (!isObject(value)) {
    return null;
  }
  return {
    seq: num(value.seq),
    cell_id: str(value.cell_id),
    execution_count: num(value.execution_count),
    position: num(value.position)
  };
}

function version(value: unknown): IVersion | null {
  if (!isObject(value)) {
    return null;
  }
  return {
    seq: num(value.seq),
    cell_id: str(value.cell_id),
    execution_count: num(value.execution_count),
    digest: str(value.digest),
    kind: str(value.kind) ?? 'unknown'
  };
}

function notNull<T>(value: T | null): value is T {
  return value !== null;
}

/**
 * The payload field `key` of a response, or the error to show. A kernel that
 * answered with an error, or without the field, gets a reason in words.
 */
function field(response: IResponseMessage, key: string): Payload<unknown> {
  if (typeof response.error === 'string' && response.error) {
    return { value: null, error: response.error };
  }
  if (!(key in response) || response[key] === undefined) {
    return {
      value: null,
      error: `the kernel's answer has no "${key}": it may be an older version of jupyter-ext`
    };
  }
  return { value: response[key], error: null };
}

function read<T>(
  response: IResponseMessage,
  key: string,
  convert: (value: unknown) => T | null
): Payload<T> {
  const raw = field(response, key);
  if (raw.error !== null) {
    return raw;
  }
  try {
    const value = convert(raw.value);
    return value === null
      ? { value: null, error: `the kernel's "${key}" has an unexpected shape` }
      : { value, error: null };
  } catch (error) {
    return { value: null, error: `unreadable "${key}": ${String(error)}` };
  }
}

export function readGraph(response: IResponseMessage): Payload<IGraph> {
  return read(response, 'graph', value => {
    if (!isObject(value)) {
      return null;
    }
    const nodes: IGraphNode[] = [];
    const keys = new Set<string>();
    for (const item of list(value.nodes)) {
      const base = ref(item);
      const key = isObject(item) ? str(item.key) : null;
      if (base === null || !key || keys.has(key) || !isObject(item)) {
        continue;
      }
      keys.add(key);
      nodes.push({
        ...base,
        key,
        writes: strings(item.writes),
        status: str(item.status) ?? 'ok'
      });
    }
    const edges: IGraphEdge[] = [];
    for (const item of list(value.edges)) {
      if (!isObject(item)) {
        continue;
      }
      const from = str(item.from);
      const to = str(item.to);
      if (from === null || to === null || !keys.has(from) || !keys.has(to)) {
        continue;
      }
      edges.push({
        from,
        to,
        name: str(item.name) ?? '',
        out_of_order: item.out_of_order === true
      });
    }
    return { nodes, edges };
  });
}

export function readLineage(response: IResponseMessage): Payload<ILineage> {
  return read(response, 'lineage', value => {
    if (!isObject(value) || str(value.name) === null) {
      return null;
    }
    return {
      name: str(value.name) as string,
      current: version(value.current),
      produced_by: ref(value.produced_by),
      history: list(value.history).map(version).filter(notNull),
      inputs: list(value.inputs)
        .filter(isObject)
        .filter(item => typeof item.name === 'string')
        .map(item => ({ name: item.name as string, from: ref(item.from) })),
      upstream: list(value.upstream).map(ref).filter(notNull),
      downstream: list(value.downstream)
        .filter(isObject)
        .map(item => {
          const base = ref(item);
          return base === null ? null : { ...base, names: strings(item.names) };
        })
        .filter(notNull),
      not_kept: notKept(value.not_kept)
    };
  });
}

/** The one line a kernel sends when a report stops at its history limit. */
function notKept(value: unknown): string | null {
  return isObject(value) ? str(value.message) : null;
}

export function readVariables(
  response: IResponseMessage
): Payload<IVariable[]> {
  return read(response, 'variables', value => {
    if (!Array.isArray(value)) {
      return null;
    }
    return value
      .filter(isObject)
      .filter(item => typeof item.name === 'string' && item.name !== '')
      .map(item => ({
        name: item.name as string,
        type: str(item.type) ?? '',
        digest: str(item.digest),
        opaque: item.opaque === true,
        writer: ref(item.writer),
        changed_seq: num(item.changed_seq),
        mutated: item.mutated === true
      }));
  });
}

export function readTimeline(response: IResponseMessage): Payload<ITimeline> {
  const notKeptLine = notKept(response.not_kept);
  return read(response, 'executions', value => {
    if (!Array.isArray(value)) {
      return null;
    }
    const entries: ITimelineEntry[] = [];
    for (const item of value) {
      if (!isObject(item) || num(item.seq) === null) {
        continue;
      }
      entries.push({
        seq: num(item.seq) as number,
        cell_id: str(item.cell_id),
        execution_count: num(item.execution_count),
        position: num(item.position),
        start: num(item.start),
        duration: num(item.duration),
        status: str(item.status) ?? 'ok'
      });
    }
    return {
      entries: entries.sort((a, b) => a.seq - b.seq),
      not_kept: notKeptLine
    };
  });
}

export function readHistory(response: IResponseMessage): Payload<IHistory> {
  if (typeof response.error === 'string' && response.error) {
    return { value: null, error: response.error };
  }
  try {
    const runs = list(response.runs)
      .filter(isObject)
      .filter(item => typeof item.run_id === 'string')
      .map(item => ({
        run_id: item.run_id as string,
        started_at: num(item.started_at),
        ended_at: num(item.ended_at),
        notebook_path: str(item.notebook_path),
        executions: num(item.executions),
        errors: num(item.errors),
        kernel: str(item.kernel)
      }));
    return {
      value: {
        notebook: str(response.notebook),
        current_run: str(response.current_run),
        runs
      },
      error: null
    };
  } catch (error) {
    return { value: null, error: `unreadable history: ${String(error)}` };
  }
}

function changedMap(value: unknown): Record<string, [string, string]> {
  const result: Record<string, [string, string]> = {};
  if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (Array.isArray(item) && item.length === 2) {
        result[key] = [String(item[0]), String(item[1])];
      }
    }
  }
  return result;
}

export function readRun(response: IResponseMessage): Payload<IRunInfo> {
  return read(response, 'run', value => {
    if (!isObject(value) || str(value.run_id) === null) {
      return null;
    }
    const previous = isObject(value.previous)
      ? {
          run_id: str(value.previous.run_id),
          packages_added: stringMap(value.previous.packages_added),
          packages_removed: stringMap(value.previous.packages_removed),
          packages_changed: changedMap(value.previous.packages_changed)
        }
      : null;
    return {
      run_id: str(value.run_id) as string,
      started_at: num(value.started_at),
      kernel: str(value.kernel),
      python: value.python ?? null,
      platform: value.platform ?? null,
      git: value.git ?? null,
      packages: stringMap(value.packages),
      previous
    };
  });
}
