import type { NotebookPanel } from '@jupyterlab/notebook';
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';

import type { IHelloMessage, IStateMessage } from './protocol';

/** What the kernel side has reported for one open notebook. */
export interface INotebookHygiene {
  readonly panel: NotebookPanel;
  /** The kernel side's `hello`; null until it answers, or if it never does. */
  readonly kernel: IHelloMessage | null;
  /** The latest `state` pushed by the kernel; null before the first one. */
  readonly state: IStateMessage | null;
  readonly changed: ISignal<INotebookHygiene, void>;
}

/** Live hygiene of every open notebook, for the panel and the cell badges. */
export interface IHygieneTracker {
  /** The hygiene of `panel`, or null while it is not tracked. */
  get(panel: NotebookPanel): INotebookHygiene | null;
  /** Emits the notebook whose kernel connection, state or panel changed. */
  readonly changed: ISignal<IHygieneTracker, INotebookHygiene>;
}

export const IHygieneTracker = new Token<IHygieneTracker>(
  'jupyter-ext:IHygieneTracker',
  'Live hygiene state (warnings, cell status) of open notebooks, as their kernels report it.'
);
