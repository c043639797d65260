/**
 * One connection per open notebook, created when the notebook opens and
 * disposed with it; the auto-track setting starts tracking for every notebook,
 * present and future.
 */

import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { PromiseDelegate } from '@lumino/coreutils';
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

  /**
   * Apply settings; turning auto-track on tracks every open notebook. No
   * notebook's tracking is decided before the first call: the plugin calls
   * it with the defaults when there are no settings to load.
   */
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
    this._configured.resolve();
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
    }
    void this._decide(panel, connection);
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

  /**
   * Settle whether `panel` is tracked without the user: once the settings
   * and the remembered choices are loaded and the notebook is open, track it
   * if auto-track is on or the user tracked it when it was last open, then
   * mark the decision final (what tests and views wait for).
   */
  private async _decide(
    panel: NotebookPanel,
    connection: NotebookConnection
  ): Promise<void> {
    const memory = this._memory;
    try {
      await Promise.all([
        this._configured.promise,
        memory?.ready,
        panel.context.ready
      ]);
    } catch {
      // A notebook that failed to open has nothing to track.
      connection.markDecided();
      return;
    }
    if (
      !connection.isDisposed &&
      !connection.trackingDecided &&
      !connection.tracking &&
      (this._autoTrack || (memory?.has(panel.context.path) ?? false))
    ) {
      // Tracking is on as soon as track() is called; connecting goes on.
      void connection.track({ remember: false });
    }
    connection.markDecided();
  }

  /** Emits each new connection, for views that attach to every notebook. */
  get added(): ISignal<this, NotebookConnection> {
    return this._added;
  }

  private _autoTrack = false;
  private readonly _configured = new PromiseDelegate<void>();
  private _options: IConnectionOptions = DEFAULT_OPTIONS;
  private readonly _connections = new Map<NotebookPanel, NotebookConnection>();
  private readonly _changed = new Signal<this, INotebookHygiene>(this);
  private readonly _added = new Signal<this, NotebookConnection>(this);
  private readonly _currentChanged = new Signal<this, INotebookHygiene | null>(
    this
  );
}
