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

export class HygieneTracker implements IHygieneTracker {
  constructor(private readonly _notebooks: INotebookTracker) {
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
          void connection.track();
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
    if (this._autoTrack) {
      void connection.track();
    }
    this._added.emit(connection);
    if (this._notebooks.currentWidget === panel) {
      this._currentChanged.emit(connection);
    }
    return connection;
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
