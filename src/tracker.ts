/**
 * One connection per open notebook, created when the notebook opens and
 * disposed with it; the auto-track setting starts tracking for every notebook,
 * present and future.
 */

import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import {
  DEFAULT_OPTIONS,
  IConnectionOptions,
  NotebookConnection
} from './connection/notebookConnection';
import type { IHygieneTracker, INotebookHygiene } from './tokens';
import type { ITrackingMemory } from './trackingMemory';

export class HygieneTracker implements IHygieneTracker {
  constructor(
    private readonly _notebooks: INotebookTracker,
    private readonly _memory: ITrackingMemory | null = null
  ) {
    _notebooks.widgetAdded.connect((_, panel) => void this._add(panel));
    _notebooks.currentChanged.connect(() =>
      this._currentChanged.emit(this.current)
    );
    _notebooks.forEach(panel => void this._add(panel));
  }

  get changed(): ISignal<this, INotebookHygiene> {
    return this._changed;
  }

  get currentChanged(): ISignal<this, INotebookHygiene | null> {
    return this._currentChanged;
  }

  get current(): NotebookConnection | null {
    const panel = this._notebooks.currentWidget;
    return panel ? (this._connections.get(panel) ?? null) : null;
  }

  get autoTrack(): boolean {
    return this._autoTrack;
  }

  get(panel: NotebookPanel): NotebookConnection | null {
    return this._connections.get(panel) ?? null;
  }

  /** Apply settings; turning auto-track on tracks every open notebook. */
  configure(autoTrack: boolean, options: IConnectionOptions): void {
    this._options = options;
    const wasOn = this._autoTrack;
    this._autoTrack = autoTrack;
    if (autoTrack && !wasOn) {
      for (const connection of this._connections.values()) {
        if (!connection.tracking) {
          void connection.track({ remember: false });
        }
      }
    }
  }

  /** The connection of `panel`, created on first use. */
  ensure(panel: NotebookPanel): NotebookConnection {
    return this._add(panel);
  }

  private _add(panel: NotebookPanel): NotebookConnection {
    const existing = this._connections.get(panel);
    if (existing) {
      return existing;
    }
    const connection = new NotebookConnection(panel, this._options);
    this._connections.set(panel, connection);
    connection.changed.connect(() => this._changed.emit(connection));
    panel.disposed.connect(() => {
      this._connections.delete(panel);
      connection.dispose();
    });
    this._remember(panel, connection);
    if (this._autoTrack) {
      void connection.track({ remember: false });
    } else {
      void this._restore(panel, connection);
    }
    this._added.emit(connection);
    if (this._notebooks.currentWidget === panel) {
      this._currentChanged.emit(connection);
    }
    return connection;
  }

  /** Keep the user's choice for this notebook, following renames. */
  private _remember(
    panel: NotebookPanel,
    connection: NotebookConnection
  ): void {
    const memory = this._memory;
    if (memory === null) {
      return;
    }
    let path = panel.context.path;
    connection.choiceMade.connect((_, tracked) =>
      memory.remember(panel.context.path, tracked)
    );
    panel.context.pathChanged.connect((_, newPath) => {
      memory.rename(path, newPath);
      path = newPath;
    });
  }

  /** Track a notebook the user chose to track when it was last open. */
  private async _restore(
    panel: NotebookPanel,
    connection: NotebookConnection
  ): Promise<void> {
    const memory = this._memory;
    if (memory === null) {
      return;
    }
    try {
      await Promise.all([memory.ready, panel.context.ready]);
    } catch {
      return; // A notebook that failed to open has nothing to track.
    }
    if (
      !connection.isDisposed &&
      !connection.tracking &&
      memory.has(panel.context.path)
    ) {
      await connection.track({ remember: false });
    }
  }

  /** Emits each new connection, for views that attach to every notebook. */
  get added(): ISignal<this, NotebookConnection> {
    return this._added;
  }

  private _autoTrack = false;
  private _options: IConnectionOptions = DEFAULT_OPTIONS;
  private readonly _connections = new Map<NotebookPanel, NotebookConnection>();
  private readonly _changed = new Signal<this, INotebookHygiene>(this);
  private readonly _added = new Signal<this, NotebookConnection>(this);
  private readonly _currentChanged = new Signal<this, INotebookHygiene | null>(
    this
  );
}
