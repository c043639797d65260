import { describe, expect, it } from '@jest/globals';

import {
  COMM_TARGET,
  IHelloMessage,
  isCompatible,
  isKnownWarningKind,
  IStateMessage,
  parseKernelMessage,
  PROTOCOL_VERSION
} from '../protocol';

function warning(overrides: Record<string, unknown> = {}) {
  return {
    kind: 'stale',
    code: 'JX101',
    severity: 'warning',
    cell_id: 'cell-b',
    names: ['df'],
    message: "reads 'df', changed since by cell 'cell-c'",
    ...overrides
  };
}

function state(overrides: Record<string, unknown> = {}) {
  return {
    type: 'state',
    notebook_seq: 3,
    warnings: [warning()],
    cells: {
      'cell-a': { status: 'ok', execution_count: 1, seq: 1 },
      'cell-b': { status: 'error', execution_count: 2, seq: 2 }
    },
    ...overrides
  };
}

/** Parse a message that must be rejected, and return why. */
function rejection(data: unknown): string {
  const result = parseKernelMessage(data);
  expect(result.message).toBeNull();
  expect(typeof result.reason).toBe('string');
  return result.reason as string;
}

describe('protocol constants', () => {
  it('matches the comm target and version the kernel side registers', () => {
    expect(COMM_TARGET).toBe('jupyter_ext');
    expect(PROTOCOL_VERSION).toBe(1);
  });

  it('knows the warning kinds of the design and no others', () => {
    for (const kind of [
      'stale',
      'out_of_order',
      'hidden_state',
      'edited',
      'undefined_in_order'
    ]) {
      expect(isKnownWarningKind(kind)).toBe(true);
    }
    expect(isKnownWarningKind('absolute_path')).toBe(false);
    expect(isKnownWarningKind('')).toBe(false);
  });
});

describe('parseKernelMessage: hello', () => {
  it('accepts a hello and reports compatibility by protocol number', () => {
    const result = parseKernelMessage({
      type: 'hello',
      protocol: 1,
      version: '0.1.0'
    });
    expect(result.reason).toBeNull();
    expect(result.message).toEqual({
      type: 'hello',
      protocol: 1,
      version: '0.1.0'
    });
    expect(isCompatible(result.message as IHelloMessage)).toBe(true);
  });

  it('parses a hello of a newer protocol so the caller can say so', () => {
    const result = parseKernelMessage({
      type: 'hello',
      protocol: 2,
      version: '1.0.0'
    });
    expect(result.message).not.toBeNull();
    expect(isCompatible(result.message as IHelloMessage)).toBe(false);
  });

  it.each([
    ['hello.protocol', 'missing', { type: 'hello', version: '0.1.0' }],
    [
      'hello.protocol',
      'a string',
      { type: 'hello', protocol: '1', version: '0.1.0' }
    ],
    [
      'hello.protocol',
      'not an integer',
      { type: 'hello', protocol: 1.5, version: '0.1.0' }
    ],
    [
      'hello.protocol',
      'negative',
      { type: 'hello', protocol: -1, version: '0.1.0' }
    ],
    ['hello.version', 'missing', { type: 'hello', protocol: 1 }],
    ['hello.version', 'a number', { type: 'hello', protocol: 1, version: 1 }]
  ])('rejects a hello whose %s is %s', (field, _problem, data) => {
    expect(rejection(data)).toContain(field);
  });
});

describe('parseKernelMessage: state', () => {
  it('accepts a state and returns it typed', () => {
    const result = parseKernelMessage(state());
    expect(result.reason).toBeNull();
    const message = result.message as IStateMessage;
    expect(message.type).toBe('state');
    expect(message.notebook_seq).toBe(3);
    expect(message.warnings).toHaveLength(1);
    expect(message.warnings[0].names).toEqual(['df']);
    expect(message.cells['cell-b']).toEqual({
      status: 'error',
      execution_count: 2,
      seq: 2
    });
  });

  it('treats a missing notebook_seq as no snapshot yet', () => {
    const data: Record<string, unknown> = state();
    delete data.notebook_seq;
    const message = parseKernelMessage(data).message as IStateMessage;
    expect(message.notebook_seq).toBeNull();
  });

  it('accepts an empty state, as sent before anything ran', () => {
    const result = parseKernelMessage({
      type: 'state',
      notebook_seq: null,
      warnings: [],
      cells: {}
    });
    expect(result.message).toEqual({
      type: 'state',
      notebook_seq: null,
      warnings: [],
      cells: {}
    });
  });

  it('keeps warnings of unknown kinds and their optional fields', () => {
    const extra = warning({
      kind: 'absolute_path',
      code: 'JX201',
      cell_id: null,
      names: [],
      line: 4
    });
    const message = parseKernelMessage(state({ warnings: [extra] }))
      .message as IStateMessage;
    expect(message.warnings[0].kind).toBe('absolute_path');
    expect(message.warnings[0].cell_id).toBeNull();
    expect(message.warnings[0].line).toBe(4);
  });

  it('accepts cells that ran without an execution count', () => {
    const cells = { 'cell-a': { status: 'ok', execution_count: null, seq: 1 } };
    const message = parseKernelMessage(state({ cells }))
      .message as IStateMessage;
    expect(message.cells['cell-a'].execution_count).toBeNull();
  });

  it('keeps a cell id that names an Object.prototype member as plain data', () => {
    const cells = JSON.parse(
      '{"__proto__": {"status": "ok", "execution_count": 1, "seq": 1}}'
    );
    const message = parseKernelMessage(state({ cells }))
      .message as IStateMessage;
    expect(Object.keys(message.cells)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(message.cells)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).status).toBeUndefined();
  });

  it.each([
    ['state.warnings: expected an array', state({ warnings: undefined })],
    ['state.warnings: expected an array', state({ warnings: {} })],
    ['state.cells: expected an object', state({ cells: [] })],
    ['state.cells: expected an object', state({ cells: null })],
    ['state.notebook_seq', state({ notebook_seq: '3' })],
    ['state.warnings[0]: expected an object', state({ warnings: [null] })],
    [
      'state.warnings[1].kind',
      state({ warnings: [warning(), warning({ kind: '' })] })
    ],
    ['state.warnings[0].kind', state({ warnings: [warning({ kind: 7 })] })],
    [
      'state.warnings[0].names',
      state({ warnings: [warning({ names: 'df' })] })
    ],
    [
      'state.warnings[0].names[1]',
      state({ warnings: [warning({ names: ['df', 1] })] })
    ],
    [
      'state.warnings[0].cell_id: expected a string or null',
      state({ warnings: [warning({ cell_id: 3 })] })
    ],
    [
      'state.warnings[0].message',
      state({ warnings: [warning({ message: undefined })] })
    ],
    ['state.warnings[0].code', state({ warnings: [warning({ code: null })] })],
    [
      'state.warnings[0].severity',
      state({ warnings: [warning({ severity: undefined })] })
    ],
    [
      'state.cells["a"].status',
      state({ cells: { a: { status: 'running', execution_count: 1, seq: 1 } } })
    ],
    [
      'state.cells["a"].execution_count',
      state({ cells: { a: { status: 'ok', execution_count: 1.5, seq: 1 } } })
    ],
    [
      'state.cells["a"].seq',
      state({ cells: { a: { status: 'ok', execution_count: 1 } } })
    ],
    ['state.cells["a"]: expected an object', state({ cells: { a: 'ok' } })]
  ])('rejects a state failing %s', (reason, data) => {
    expect(rejection(data)).toContain(reason);
  });
});

describe('parseKernelMessage: response', () => {
  it('accepts a response and keeps its payload', () => {
    const data = {
      type: 'response',
      request_id: 'r1',
      what: 'lineage',
      lineage: { name: 'df', writers: ['cell-a'] }
    };
    const result = parseKernelMessage(data);
    expect(result.reason).toBeNull();
    expect(result.message).toEqual(data);
  });

  it('accepts an error response', () => {
    const result = parseKernelMessage({
      type: 'response',
      request_id: 'r2',
      error: "unknown request 'graf'"
    });
    expect(result.message).toMatchObject({ error: "unknown request 'graf'" });
  });

  it.each([
    ['response.request_id', 'missing', { type: 'response' }],
    ['response.request_id', 'empty', { type: 'response', request_id: '' }],
    ['response.request_id', 'a number', { type: 'response', request_id: 5 }],
    [
      'response.error',
      'a number',
      { type: 'response', request_id: 'r', error: 404 }
    ]
  ])('rejects a response whose %s is %s', (field, _problem, data) => {
    expect(rejection(data)).toContain(field);
  });
});

describe('parseKernelMessage: anything else', () => {
  it.each([
    [undefined, 'message: expected an object'],
    [null, 'message: expected an object'],
    ['{"type": "hello"}', 'message: expected an object'],
    [42, 'message: expected an object'],
    [
      [{ type: 'hello', protocol: 1, version: '0.1.0' }],
      'message: expected an object'
    ],
    [{}, 'message.type: expected a string'],
    [{ type: 3 }, 'message.type: expected a string'],
    [
      { type: 'notebook', seq: 1, path: null, cells: [] },
      'unknown type "notebook"'
    ],
    [{ type: 'progress' }, 'unknown type "progress"']
  ])('rejects %j', (data, reason) => {
    expect(rejection(data)).toContain(reason);
  });

  it('turns an exception raised while reading into a reason', () => {
    const hostile = {
      type: 'hello',
      protocol: 1,
      get version(): string {
        throw new Error('boom');
      }
    };
    expect(rejection(hostile)).toBe('unreadable message: Error: boom');
  });

  it('rejects a state whose warnings list is a revoked proxy', () => {
    const { proxy, revoke } = Proxy.revocable<unknown[]>([], {});
    revoke();
    expect(rejection(state({ warnings: proxy }))).toMatch(
      /^unreadable message: /
    );
  });
});

describe('parseKernelMessage: size', () => {
  it('drops a message larger than the limit without reading it', () => {
    const big = state({
      warnings: [
        {
          kind: 'stale',
          code: 'JX101',
          severity: 'warning',
          cell_id: 'cell-a',
          names: ['x'],
          message: 'y'.repeat(2000)
        }
      ]
    });
    const result = parseKernelMessage(big, 1000);
    expect(result.message).toBeNull();
    expect(result.reason).toMatch(
      /^oversized message: \d+ characters \(limit 1000\)$/
    );
    // The same message under the default limit is accepted.
    expect(parseKernelMessage(big).message?.type).toBe('state');
  });
});
