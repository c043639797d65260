/**
 * The hygiene of one notebook as its kernel reports it: pure state built from
 * parsed comm messages and connection events, with lookups the panel, the
 * cell badges and the status bar share. No DOM and no JupyterLab services, so
 * every rule about what the user sees is testable without a browser.
 */

import { ISignal, Signal } from '@lumino/signaling';

import {
  ICellStatus,
  IHelloMessage,
  isCompatible,
  isKnownWarningKind,
  IStateMessage,
  IWarning,
  PROTOCOL_VERSION,
  WarningKind
} from '../protocol';

/**
 * Where the connection to the kernel side stands. Every phase but
 * `connected` comes with a sentence for the user in `IConnectionStatus.detail`.
 */
export type ConnectionPhase =
  | 'untracked'
  | 'no-kernel'
  | 'loading'
  | 'connecting'
  | 'connected'
  | 'not-installed'
  | 'incompatible'
  | 'load-failed'
  | 'restarting'
  | 'dead'
  | 'closed';

export interface IConnectionStatus {
  phase: ConnectionPhase;
  /** What is wrong and what to do about it; empty when nothing needs saying. */
  detail: string;
}

export const INSTALL_HINT =
  "pip install jupyter-ext in this kernel's environment, then restart the kernel";

/** The sentences shown for each phase when the caller has nothing more precise. */
export const PHASE_TEXT: Record<ConnectionPhase, string> = {
  untracked:
    'This notebook is not tracked. Track it to see stale cells, out-of-order runs and lineage.',
  'no-kernel': 'This notebook has no kernel. Select a kernel to track it.',
  loading: 'Loading jupyter-ext in the kernel…',
  connecting: 'Connecting to the kernel…',
  connected: '',
  'not-installed': `jupyter-ext is not installed in this kernel's environment: ${INSTALL_HINT}.`,
  incompatible:
    "The kernel's jupyter-ext speaks another protocol version than this JupyterLab extension.",
  'load-failed': 'jupyter-ext could not be loaded in this kernel.',
  restarting: 'The kernel is restarting; tracking resumes when it is back.',
  dead: 'The kernel has died. Restart it (Kernel › Restart Kernel…) and tracking resumes.',
  closed:
    'The kernel closed the connection (was jupyter_ext unloaded?). Track the notebook again to reconnect.'
};

/** Kinds shown on cells, in the order their badges appear. */
export const BADGE_KINDS: readonly WarningKind[] = [
  'stale',
  'out_of_order',
  'edited',
  'undefined_in_order',
  'hidden_state'
];

export const KIND_LABELS: Record<WarningKind, string> = {
  stale: 'stale',
  out_of_order: 'out of order',
  hidden_state: 'hidden state',
  edited: 'edited',
  undefined_in_order: 'undefined in order'
};

/** The message the model was given when the kernel side said hello. */
export function incompatibleText(hello: IHelloMessage): string {
  const side = hello.protocol > PROTOCOL_VERSION ? 'newer' : 'older';
  return (
    `The kernel has jupyter-ext ${hello.version} (protocol ${hello.protocol}), ` +
    `${side} than this JupyterLab extension (protocol ${PROTOCOL_VERSION}). ` +
    "Install the same version of jupyter-ext in the kernel's environment and in " +
    "JupyterLab's (pip install -U jupyter-ext), then restart the kernel."
  );
}

export class HygieneModel {
  private _status: IConnectionStatus = {
    phase: 'untracked',
    detail: PHASE_TEXT.untracked
  };
  private _hello: IHelloMessage | null = null;
  private _state: IStateMessage | null = null;
  private _warnings: IWarning[] = [];
  private _unknown = 0;
  private _byCell = new Map<string, IWarning[]>();
  private _rejected = 0;
  private _lastRejection: string | null = null;
  private _changed = new Signal<this, void>(this);

  /** Emits after every change of status, hello, state or rejections. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get status(): IConnectionStatus {
    return this._status;
  }

  get phase(): ConnectionPhase {
    return this._status.phase;
  }

  get hello(): IHelloMessage | null {
    return this._hello;
  }

  get state(): IStateMessage | null {
    return this._state;
  }

  /** Warnings of the kinds this frontend knows, in the kernel's order. */
  get warnings(): readonly IWarning[] {
    return this._warnings;
  }

  /** How many warnings of kinds this version does not know were left out. */
  get unknownWarnings(): number {
    return this._unknown;
  }

  /** Messages from the kernel that were malformed and dropped. */
  get rejected(): number {
    return this._rejected;
  }

  get lastRejection(): string | null {
    return this._lastRejection;
  }

  /**
   * Enter a phase. Leaving `connected` drops the state: warnings of a kernel
   * that restarted or died no longer describe anything.
   */
  setPhase(phase: ConnectionPhase, detail?: string): void {
    const text = detail ?? PHASE_TEXT[phase];
    if (this._status.phase === phase && this._status.detail === text) {
      return;
    }
    this._status = { phase, detail: text };
    if (phase !== 'connected' && phase !== 'connecting') {
      if (phase !== 'incompatible') {
        this._hello = null;
      }
      this._setState(null);
    }
    this._changed.emit();
  }

  /** Apply the kernel's `hello`; returns whether the kernel can be talked to. */
  applyHello(hello: IHelloMessage): boolean {
    this._hello = hello;
    if (!isCompatible(hello)) {
      this._status = { phase: 'incompatible', detail: incompatibleText(hello) };
      this._setState(null);
      this._changed.emit();
      return false;
    }
    this._status = { phase: 'connected', detail: '' };
    this._changed.emit();
    return true;
  }

  /** Apply a pushed `state`; ignored unless the kernel said a compatible hello. */
  applyState(state: IStateMessage): boolean {
    if (this._status.phase !== 'connected') {
      return false;
    }
    this._setState(state);
    this._changed.emit();
    return true;
  }

  noteRejected(reason: string): void {
    this._rejected += 1;
    this._lastRejection = reason;
    this._changed.emit();
  }

  warningsForCell(cellId: string): readonly IWarning[] {
    return this._byCell.get(cellId) ?? [];
  }

  cellStatus(cellId: string): ICellStatus | null {
    const cells = this._state?.cells;
    return cells && Object.prototype.hasOwnProperty.call(cells, cellId)
      ? cells[cellId]
      : null;
  }

  /** Ids of the cells that carry at least one warning of `kind`. */
  cellsWithKind(kind: string): string[] {
    const ids: string[] = [];
    for (const [id, warnings] of this._byCell) {
      if (warnings.some(warning => warning.kind === kind)) {
        ids.push(id);
      }
    }
    return ids;
  }

  /** Warning counts by kind, for summaries. */
  countsByKind(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const warning of this._warnings) {
      counts.set(warning.kind, (counts.get(warning.kind) ?? 0) + 1);
    }
    return counts;
  }

  private _setState(state: IStateMessage | null): void {
    this._state = state;
    this._warnings = [];
    this._unknown = 0;
    this._byCell = new Map();
    if (state === null) {
      return;
    }
    for (const warning of state.warnings) {
      if (!isKnownWarningKind(warning.kind)) {
        this._unknown += 1;
        continue;
      }
      this._warnings.push(warning);
      if (warning.cell_id !== null) {
        const list = this._byCell.get(warning.cell_id);
        if (list) {
          list.push(warning);
        } else {
          this._byCell.set(warning.cell_id, [warning]);
        }
      }
    }
  }
}
