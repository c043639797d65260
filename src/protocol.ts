/**
 * The comm protocol between the JupyterLab frontend and the kernel side of
 * jupyter-ext (protocol version 1).
 *
 * The frontend opens a comm on target `jupyter_ext` with data `{protocol: 1}`;
 * the kernel answers `hello`. The frontend then sends `notebook` snapshots and
 * `request`s; the kernel pushes `state` after every execution and snapshot, and
 * answers each request with a `response` carrying the same `request_id`.
 *
 * Everything the kernel sends arrives as untrusted JSON: a kernel of another
 * version, or any code in the kernel, can write to the comm. It is therefore
 * read only through `parseKernelMessage`, which never throws.
 */

export const PROTOCOL_VERSION = 1;

export const COMM_TARGET = 'jupyter_ext';

/** Data of the `comm_open` message the frontend sends. */
export interface ICommOpenData {
  protocol: typeof PROTOCOL_VERSION;
}

export type CellType = 'code' | 'markdown' | 'raw';

export interface INotebookCell {
  /** The nbformat cell id, the same id JupyterLab sends as `metadata.cellId`. */
  id: string;
  cell_type: CellType;
  source: string;
}

/**
 * The notebook's cells in document order, sent on open and after every
 * structural or source change. `seq` increases with every snapshot, so the
 * kernel can tell a stale snapshot from a source it has executed since.
 */
export interface INotebookMessage {
  type: 'notebook';
  seq: number;
  path: string | null;
  cells: INotebookCell[];
}

/** What a request may ask for; kernels answer unknown ones with an error. */
export type RequestWhat =
  'graph' | 'lineage' | 'history' | 'variables' | 'timeline' | 'run';

export interface IRequestMessage {
  type: 'request';
  request_id: string;
  what: RequestWhat;
  /** Arguments of the request, e.g. `name` for `lineage`. */
  [argument: string]: unknown;
}

export type FrontendMessage = INotebookMessage | IRequestMessage;

export interface IHelloMessage {
  type: 'hello';
  protocol: number;
  /** Version of the kernel-side package. */
  version: string;
}

export const WARNING_KINDS = [
  'stale',
  'out_of_order',
  'hidden_state',
  'edited',
  'undefined_in_order'
] as const;

export type WarningKind = (typeof WARNING_KINDS)[number];

/**
 * One hygiene finding. `kind` stays a plain string: newer kernels may report
 * kinds this frontend does not know, and consumers skip those rather than fail.
 * Optional fields beyond the ones listed are kept as they arrived.
 */
export interface IWarning {
  kind: string;
  code: string;
  severity: string;
  cell_id: string | null;
  names: string[];
  message: string;
  [extra: string]: unknown;
}

export interface ICellStatus {
  /** Outcome of the cell's last execution; null for a cell that never ran. */
  status: 'ok' | 'error' | null;
  execution_count: number | null;
  /** Position of the cell's last execution in the kernel's run (1-based); null if it never ran. */
  seq: number | null;
  /** Kinds of the warnings on this cell; absent from older kernels. */
  kinds?: string[];
  /** Why the rules cannot judge this cell (star import, `%run`), if so. */
  unjudgeable?: string | null;
}

export interface IStateMessage {
  type: 'state';
  /** Protocol of the kernel that computed this state; absent from older kernels. */
  protocol?: number;
  /**
   * `seq` of the newest notebook snapshot the kernel had applied when it
   * computed this state; null before the first snapshot.
   */
  notebook_seq: number | null;
  warnings: IWarning[];
  /** Status of each executed cell, keyed by cell id. */
  cells: Record<string, ICellStatus>;
}

export interface IResponseMessage {
  type: 'response';
  request_id: string;
  /** Present when the kernel could not answer; the payload is then absent. */
  error?: string | null;
  [payload: string]: unknown;
}

export type KernelMessage = IHelloMessage | IStateMessage | IResponseMessage;

export type ParseResult =
  { message: KernelMessage; reason: null } | { message: null; reason: string };

export function isKnownWarningKind(kind: string): kind is WarningKind {
  return (WARNING_KINDS as readonly string[]).includes(kind);
}

/** Whether the kernel side speaks the protocol this frontend was built for. */
export function isCompatible(hello: IHelloMessage): boolean {
  return hello.protocol === PROTOCOL_VERSION;
}

/**
 * Validate a kernel→frontend message and return it typed, or null with the
 * reason it was rejected. Malformed input of any shape yields a reason, never
 * an exception, so one bad message cannot break the comm handler.
 */
/**
 * Larger messages are dropped unread: a state for ten thousand cells is about
 * a megabyte, and rendering anything near this size would freeze the page.
 */
export const MAX_MESSAGE_CHARS = 16 * 1024 * 1024;

export function parseKernelMessage(
  data: unknown,
  maxChars = MAX_MESSAGE_CHARS
): ParseResult {
  try {
    const size = JSON.stringify(data)?.length ?? 0;
    if (size > maxChars) {
      return {
        message: null,
        reason: `oversized message: ${size} characters (limit ${maxChars})`
      };
    }
    return { message: parseMessage(data), reason: null };
  } catch (error) {
    const reason =
      error instanceof Malformed
        ? error.message
        : `unreadable message: ${String(error)}`;
    return { message: null, reason };
  }
}

/** Thrown by the validators below and caught by `parseKernelMessage` only. */
class Malformed extends Error {}

type JSONObject = Record<string, unknown>;

function parseMessage(data: unknown): KernelMessage {
  const raw = object(data, 'message');
  const type = raw.type;
  switch (type) {
    case 'hello':
      return parseHello(raw);
    case 'state':
      return parseState(raw);
    case 'response':
      return parseResponse(raw);
    default:
      if (typeof type !== 'string') {
        throw new Malformed('message.type: expected a string');
      }
      throw new Malformed(`message.type: unknown type ${JSON.stringify(type)}`);
  }
}

function parseHello(raw: JSONObject): IHelloMessage {
  return {
    type: 'hello',
    protocol: integer(raw.protocol, 'hello.protocol'),
    version: string(raw.version, 'hello.version')
  };
}

function parseState(raw: JSONObject): IStateMessage {
  const notebookSeq =
    raw.notebook_seq === undefined || raw.notebook_seq === null
      ? null
      : integer(raw.notebook_seq, 'state.notebook_seq');
  const warnings = array(raw.warnings, 'state.warnings').map((item, index) =>
    parseWarning(item, `state.warnings[${index}]`)
  );
  const cells = Object.fromEntries(
    Object.entries(object(raw.cells, 'state.cells')).map(([id, item]) => [
      id,
      parseCellStatus(item, `state.cells[${JSON.stringify(id)}]`)
    ])
  );
  const message: IStateMessage = {
    type: 'state',
    notebook_seq: notebookSeq,
    warnings,
    cells
  };
  if (raw.protocol !== undefined) {
    message.protocol = integer(raw.protocol, 'state.protocol');
  }
  return message;
}

function parseWarning(data: unknown, where: string): IWarning {
  const raw = object(data, where);
  return {
    ...raw,
    kind: nonEmptyString(raw.kind, `${where}.kind`),
    code: string(raw.code, `${where}.code`),
    severity: string(raw.severity, `${where}.severity`),
    cell_id: nullable(raw.cell_id, `${where}.cell_id`, string),
    names: array(raw.names, `${where}.names`).map((name, index) =>
      string(name, `${where}.names[${index}]`)
    ),
    message: string(raw.message, `${where}.message`)
  };
}

function parseCellStatus(data: unknown, where: string): ICellStatus {
  const raw = object(data, where);
  const status = raw.status;
  if (status !== 'ok' && status !== 'error' && status !== null) {
    throw new Malformed(`${where}.status: expected "ok", "error" or null`);
  }
  const cell: ICellStatus = {
    status,
    execution_count: nullable(
      raw.execution_count,
      `${where}.execution_count`,
      integer
    ),
    seq: nullable(raw.seq, `${where}.seq`, integer)
  };
  if (raw.kinds !== undefined) {
    cell.kinds = array(raw.kinds, `${where}.kinds`).map((kind, index) =>
      string(kind, `${where}.kinds[${index}]`)
    );
  }
  if (raw.unjudgeable !== undefined) {
    cell.unjudgeable = nullable(
      raw.unjudgeable,
      `${where}.unjudgeable`,
      string
    );
  }
  return cell;
}

function parseResponse(raw: JSONObject): IResponseMessage {
  const requestId = nonEmptyString(raw.request_id, 'response.request_id');
  if (raw.error !== undefined) {
    nullable(raw.error, 'response.error', string);
  }
  return { ...raw, type: 'response', request_id: requestId };
}

function object(value: unknown, where: string): JSONObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Malformed(`${where}: expected an object`);
  }
  return value as JSONObject;
}

function array(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) {
    throw new Malformed(`${where}: expected an array`);
  }
  return value;
}

function string(value: unknown, where: string): string {
  if (typeof value !== 'string') {
    throw new Malformed(`${where}: expected a string`);
  }
  return value;
}

function nonEmptyString(value: unknown, where: string): string {
  if (string(value, where) === '') {
    throw new Malformed(`${where}: expected a non-empty string`);
  }
  return value as string;
}

function integer(value: unknown, where: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new Malformed(`${where}: expected a non-negative integer`);
  }
  return value as number;
}

function nullable<T>(
  value: unknown,
  where: string,
  parse: (value: unknown, where: string) => T
): T | null {
  if (value === null) {
    return null;
  }
  try {
    return parse(value, where);
  } catch (error) {
    throw error instanceof Malformed
      ? new Malformed(`${error.message} or null`)
      : error;
  }
}
