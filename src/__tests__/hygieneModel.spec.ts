import { describe, expect, it, jest } from '@jest/globals';

import { HygieneModel, INSTALL_HINT, PHASE_TEXT } from '../model/hygieneModel';
import { IStateMessage, IWarning, parseKernelMessage } from '../protocol';

function warning(
  kind: string,
  cellId: string | null,
  message = `${kind} on ${cellId}`
): IWarning {
  return {
    kind,
    code: 'JX1',
    severity: 'warning',
    cell_id: cellId,
    names: ['x'],
    message
  };
}

function state(warnings: IWarning[], cells = {}): IStateMessage {
  return { type: 'state', notebook_seq: 1, warnings, cells };
}

function connected(): HygieneModel {
  const model = new HygieneModel();
  model.applyHello({ type: 'hello', protocol: 1, version: '0.1.0' });
  return model;
}

describe('HygieneModel: connection phases', () => {
  it('starts untracked, saying how to start', () => {
    const model = new HygieneModel();
    expect(model.phase).toBe('untracked');
    expect(model.status.detail).toBe(PHASE_TEXT.untracked);
    expect(model.state).toBeNull();
  });

  it('tells a kernel without the package how to install it', () => {
    expect(PHASE_TEXT['not-installed']).toContain(INSTALL_HINT);
    expect(INSTALL_HINT).toContain(
      "pip install jupyter-ext in this kernel's environment"
    );
  });

  it('connects on a compatible hello', () => {
    const model = connected();
    expect(model.phase).toBe('connected');
    expect(model.hello?.version).toBe('0.1.0');
  });

  it('refuses a kernel of another protocol and says which side is older', () => {
    const model = new HygieneModel();
    expect(
      model.applyHello({ type: 'hello', protocol: 2, version: '2.0.0' })
    ).toBe(false);
    expect(model.phase).toBe('incompatible');
    expect(model.status.detail).toContain('jupyter-ext 2.0.0 (protocol 2)');
    expect(model.status.detail).toContain('newer');
    expect(model.status.detail).toContain('pip install -U jupyter-ext');
  });

  it('ignores states until connected, and after a restart', () => {
    const model = new HygieneModel();
    expect(model.applyState(state([warning('stale', 'a')]))).toBe(false);
    expect(model.warnings).toHaveLength(0);

    const live = connected();
    live.applyState(state([warning('stale', 'a')]));
    expect(live.warnings).toHaveLength(1);
    live.setPhase('restarting');
    expect(live.state).toBeNull();
    expect(live.warnings).toHaveLength(0);
    expect(live.warningsForCell('a')).toHaveLength(0);
  });

  it('emits changed once per change and not for a repeated phase', () => {
    const model = new HygieneModel();
    const seen = jest.fn();
    model.changed.connect(seen);
    model.setPhase('loading');
    model.setPhase('loading');
    model.setPhase('dead');
    expect(seen).toHaveBeenCalledTimes(2);
    expect(model.status.detail).toContain('Restart it');
  });

  it('keeps a precise detail over the default sentence', () => {
    const model = new HygieneModel();
    model.setPhase('load-failed', 'NameError: boom');
    expect(model.status).toEqual({
      phase: 'load-failed',
      detail: 'NameError: boom'
    });
  });

  it('counts malformed messages and keeps the last reason', () => {
    const model = connected();
    model.noteRejected('state.cells: expected an object');
    model.noteRejected('message.type: unknown type "x"');
    expect(model.rejected).toBe(2);
    expect(model.lastRejection).toBe('message.type: unknown type "x"');
  });
});

describe('HygieneModel: warnings by cell', () => {
  it('groups warnings by cell and kind', () => {
    const model = connected();
    model.applyState(
      state([
        warning('stale', 'b'),
        warning('out_of_order', 'b'),
        warning('edited', 'c'),
        warning('hidden_state', null)
      ])
    );
    expect(model.warningsForCell('b').map(w => w.kind)).toEqual([
      'stale',
      'out_of_order'
    ]);
    expect(model.warningsForCell('c')).toHaveLength(1);
    expect(model.warningsForCell('zzz')).toHaveLength(0);
    expect(model.cellsWithKind('stale')).toEqual(['b']);
    expect(model.countsByKind().get('stale')).toBe(1);
    expect(model.warnings).toHaveLength(4);
  });

  it('leaves out kinds it does not know, and counts them', () => {
    const model = connected();
    model.applyState(
      state([warning('absolute_path', 'a'), warning('stale', 'a')])
    );
    expect(model.warnings.map(w => w.kind)).toEqual(['stale']);
    expect(model.unknownWarnings).toBe(1);
    expect(model.warningsForCell('a')).toHaveLength(1);
  });

  it('reads cell status without trusting inherited properties', () => {
    const model = connected();
    const parsed = parseKernelMessage({
      type: 'state',
      notebook_seq: 1,
      warnings: [],
      cells: JSON.parse(
        '{"__proto__": {"status": "ok", "execution_count": 3, "seq": 1}, "a": {"status": null, "execution_count": null, "seq": null, "kinds": ["undefined_in_order"], "unjudgeable": null}}'
      )
    });
    expect(parsed.reason).toBeNull();
    model.applyState(parsed.message as IStateMessage);
    expect(model.cellStatus('__proto__')?.execution_count).toBe(3);
    expect(model.cellStatus('a')?.kinds).toEqual(['undefined_in_order']);
    expect(model.cellStatus('toString')).toBeNull();
    expect(model.cellStatus('constructor')).toBeNull();
  });

  it('keeps hostile strings as plain data', () => {
    const payload = '<img src=x onerror="window.__pwned=1">';
    const model = connected();
    model.applyState(state([warning('stale', 'a', payload)]));
    expect(model.warningsForCell('a')[0].message).toBe(payload);
  });
});
