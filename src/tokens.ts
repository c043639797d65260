import type { NotebookPanel } from '@jupyterlab/notebook';
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';

import type { HygieneModel } from './model/hygieneModel';
import type {
  IHelloMessage,
  IResponseMessage,
  IStateMessage,
  RequestWhat
} from './protocol';

/** What the kernel side has reported for one open notebook, and how to ask it more. */
export interface INotebookHygiene {
  readonly panel: NotebookPanel;
  /** Connection phase, warnings by cell and cell status, built from the comm. */
  readonly model: HygieneModel;
  /** Whether the user (or the auto-track setting) asked to track this notebook. */
  readonly tracking: boolean;
  /**
   * Whether `tracking` is settled for this notebook: the user chose, or the
   * auto-track setting and the choice remembered from its last opening have
   * been applied. A notebook not decided yet may still start tracking.
   */
  readonly trackingDecided: boolean;
  /** The kernel side's `hello`; null until it answers, or if it never does. */
  readonly kernel: IHelloMessage | null;
  /** The latest `state` pushed by the kernel; null before the first one. */
  readonly state: IStateMessage | null;
  /** `performance.now()` when the latest `state` arrived. */
  readonly stateReceivedAt: number | null;
  /** Emits when tracking, the connection phase or the state changed. */
  readonly changed: ISignal<INotebookHygiene, void>;
  /** Start tracking; `remember: false` when the user did not ask for it here. */
  track(options?: { remember?: boolean }): Promise<void>;
  untrack(): Promise<void>;
  /** Ask the kernel side; rejects with a message fit to show the user. */
  request(
    what: RequestWhat,
    args?: Record<string, unknown>
  ): Promise<IResponseMessage>;
  /** Resolves true once connected, false on failure or timeout. */
  whenConnected(timeoutMs: number): Promise<boolean>;
}

/** Live hygiene of every open notebook, for the panel and the cell badges. */
export interface IHygieneTracker {
  /** The hygiene of `panel` (tracked or not); null for a panel not (yet) known. */
  get(panel: NotebookPanel): INotebookHygiene | null;
  /** The hygiene of the active notebook, if any. */
  readonly current: INotebookHygiene | null;
  /** Emits when the active notebook changes. */
  readonly currentChanged: ISignal<IHygieneTracker, INotebookHygiene | null>;
  /** Emits the notebook whose tracking, connection or state changed. */
  readonly changed: ISignal<IHygieneTracker, INotebookHygiene>;
}

export const IHygieneTracker = new Token<IHygieneTracker>(
  'jupyter-ext:IHygieneTracker',
  'Live hygiene state (warnings, cell status) of open notebooks, as their kernels report it.'
);
