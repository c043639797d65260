/**
 * The link between one notebook panel and the kernel side of jupyter-ext.
 *
 * Tracking a notebook loads the extension in its kernel, opens the comm,
 * sends debounced snapshots (flushed before every execution) and routes the
 * kernel's messages: `hello` and `state` to the model, `response` to the
 * request that asked. It follows the kernel through restarts, deaths and
 * changes, and turns every failure into a phase of the model with a sentence
 * for the user: nothing here throws into JupyterLab or stops the notebook.
 */

import type { ISessionContext } from '@jupyterlab/apputils';
import type { Cell } from '@jupyterlab/cells';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { JSONObject } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ConnectionPhase,
  HygieneModel,
  INSTALL_HINT,
  PHASE_TEXT
} from '../model/hygieneModel';
import { RequestError, RequestTracker } from '../model/requests';
import { SnapshotScheduler } from '../model/snapshots';
import {
  CellType,
  COMM_TARGET,
  FrontendMessage,
  INotebookCell,
  IResponseMessage,
  parseKernelMessage,
  PROTOCOL_VERSION,
  RequestWhat
} from '../protocol';
import type { INotebookHygiene } from '../tokens';

export interface IConnectionOptions {
  /** Pause in edits after which a snapshot is sent. */
  snapshotDelayMs: number;
  /** How long to wait for `hello` from an idle kernel. */
  helloTimeoutMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_OPTIONS: IConnectionOptions = {
  snapshotDelayMs: 400,
  helloTimeoutMs: 10000,
  requestTimeoutMs: 20000
};

/**
 * `%load_ext jupyter_ext`, as a user expression: IPython reports a failing
 * silent cell as "ok", but an expression's error comes back with its name.
 */
const LOAD_EXPRESSION = 'jupyter_ext';
const LOAD_REQUEST = {
  code: '',
  silent: true,
  store_history: false,
  allow_stdin: false,
  stop_on_error: false,
  user_expressions: {
    [LOAD_EXPRESSION]:
      "get_ipython().extension_manager.load_extension('jupyter_ext')"
  }
};
const UNLOAD_CODE = '%unload_ext jupyter_ext';
/** How long a connected kernel may say "starting" before it is sent requests anyway. */
const STARTING_GRACE_MS = 3000;
/** A cell that loads the extension itself turns tracking on. */
const LOAD_IN_CELL = /^\s*%load_ext\s+jupyter_ext\s*$/m;

/** Errors of `%load_ext` that mean the package is absent from the kernel. */
const MISSING = new Set(['ModuleNotFoundError', 'ImportError']);
/** Errors that mean the kernel does not understand IPython magics at all. */
const NOT_IPYTHON = new Set(['SyntaxError', 'NameError', 'UsageError']);

const silentExecute = (code: string) => ({
  code,
  silent: true,
  store_history: false,
  allow_stdin: false,
  // A failing load must not abort cells the user queued behind it.
  stop_on_error: false
});

function ignore(): void {
  // Futures of messages nobody waits for reject when the kernel goes away.
}

export class NotebookConnection implements INotebookHygiene {
  constructor(
    readonly panel: NotebookPanel,
    private _options: IConnectionOptions = DEFAULT_OPTIONS
  ) {
    this._snapshots = new SnapshotScheduler(
      { path: () => this._path(), cells: () => this._cells() },
      message => this._send(message),
      _options.snapshotDelayMs
    );
    this._requests = new RequestTracker(_options.requestTimeoutMs);
    const context = panel.sessionContext;
    context.kernelChanged.connect(this._onKernelChanged, this);
    context.statusChanged.connect(this._onStatus, this);
    NotebookActions.executionScheduled.connect(this._onScheduled, this);
    NotebookActions.executed.connect(this._onExecuted, this);
    panel.content.modelContentChanged.connect(this._onContentChanged, this);
    panel.context.pathChanged.connect(this._onContentChanged, this);
    this.model.changed.connect(this._onModelChanged, this);
  }

  readonly model = new HygieneModel();

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The user turned tracking on (true) or off (false) for this notebook. */
  get choiceMade(): ISignal<this, boolean> {
    return this._choiceMade;
  }

  get tracking(): boolean {
    return this._tracking;
  }

  /**
   * Whether `tracking` is settled: the user chose, or the tracker has applied
   * the auto-track setting and the choice remembered for this notebook. Until
   * then a notebook that is not tracked yet may still be tracked by itself.
   */
  get trackingDecided(): boolean {
    return this._decided;
  }

  /** Called by the tracker once it has applied the setting and the memory. */
  markDecided(): void {
    if (!this._disposed && !this._decided) {
      this._decided = true;
      this._changed.emit();
    }
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  get kernel() {
    return this.model.hello;
  }

  get state() {
    return this.model.state;
  }

  /** `performance.now()` when the latest `state` arrived, for timing the views. */
  get stateReceivedAt(): number | null {
    return this._stateReceivedAt;
  }

  get sessionContext(): ISessionContext {
    return this.panel.sessionContext;
  }

  /**
   * Start tracking. `remember: false` is for tracking the user did not ask
   * for on this notebook (the auto-track setting, a remembered choice), so
   * that it is not remembered as the user's choice.
   */
  async track(options: { remember?: boolean } = {}): Promise<void> {
    if (this._disposed) {
      return;
    }
    const chosen = options.remember !== false;
    if (chosen) {
      this._choiceMade.emit(true);
    }
    if (!this._tracking || (chosen && !this._decided)) {
      this._tracking = true;
      this._decided = this._decided || chosen;
      this._changed.emit();
    }
    await this._connect();
  }

  async untrack(): Promise<void> {
    if (this._disposed || !this._tracking) {
      return;
    }
    this._choiceMade.emit(false);
    this._decided = true;
    this._tracking = false;
    this._generation += 1;
    this._closeComm(true);
    this.model.setPhase('untracked');
    this._changed.emit();
    const kernel = this.sessionContext.session?.kernel;
    if (kernel && !kernel.isDisposed && kernel.status !== 'dead') {
      try {
        await kernel.requestExecute(silentExecute(UNLOAD_CODE), true).done;
      } catch {
        // The kernel went away meanwhile: nothing left to unload.
      }
    }
  }

  /**
   * Ask the kernel side for `what`. Rejects with a `RequestError` whose
   * message can be shown as is.
   */
  request(
    what: RequestWhat,
    args: Record<string, unknown> = {}
  ): Promise<IResponseMessage> {
    if (this._comm === null || this.model.phase !== 'connected') {
      return Promise.reject(
        new RequestError(
          this.model.status.detail || 'Not connected to the kernel.'
        )
      );
    }
    const { message, response } = this._requests.create(what, args);
    if (!this._send(message)) {
      this._requests.fail(
        message.request_id,
        'The request could not be sent to the kernel.'
      );
    }
    return response;
  }

  /** Resolves once connected; false if tracking fails or `timeoutMs` passes first. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    const settled = (phase: ConnectionPhase) =>
      !['loading', 'connecting', 'restarting'].includes(phase);
    if (this.model.phase === 'connected') {
      return Promise.resolve(true);
    }
    return new Promise<boolean>(resolve => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.model.changed.disconnect(check);
        resolve(value);
      };
      const check = () => {
        const phase = this.model.phase;
        if (phase === 'connected') {
          done(true);
        } else if (settled(phase) && !this._awaitingRestart) {
          done(false);
        }
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.model.changed.connect(check);
    });
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._generation += 1;
    this._stopWaiting?.();
    // The kernel outlives the notebook's tab: tell it this comm is gone, or its
    // next state push reaches a reopened tab as a message for an unknown comm.
    this._closeComm(true);
    this._snapshots.cancel();
    NotebookActions.executionScheduled.disconnect(this._onScheduled, this);
    NotebookActions.executed.disconnect(this._onExecuted, this);
    Signal.clearData(this);
  }

  // -- connecting ----------------------------------------------------------

  private async _connect(): Promise<void> {
    const generation = ++this._generation;
    const current = () => generation === this._generation && !this._disposed;
    this._stopWaiting?.();
    this._closeComm(false);
    const context = this.sessionContext;
    try {
      await context.ready;
    } catch {
      // A session that failed to start leaves no kernel, handled below.
    }
    if (!current()) {
      return;
    }
    const kernel = context.session?.kernel ?? null;
    if (kernel === null || kernel.isDisposed) {
      this.model.setPhase('no-kernel');
      return;
    }
    if (!(await this._kernelReady(kernel, current))) {
      return;
    }
    this._awaitingRestart = false;
    this.model.setPhase('loading');
    let reply: KernelMessage.IExecuteReplyMsg;
    try {
      reply = await kernel.requestExecute(LOAD_REQUEST, true).done;
    } catch (error) {
      if (current()) {
        this._lostKernel(kernel);
      }
      return;
    }
    if (!current()) {
      return;
    }
    const content = reply.content;
    const loaded =
      content.status === 'ok'
        ? (content.user_expressions?.[LOAD_EXPRESSION] as
            { status?: string; ename?: string; evalue?: string } | undefined)
        : undefined;
    if (content.status === 'error') {
      this._loadFailed(content.ename, content.evalue);
      return;
    }
    if (content.status !== 'ok') {
      this.model.setPhase(
        'load-failed',
        'The kernel did not load jupyter-ext (the request was aborted, probably because a cell before it failed). Track the notebook again.'
      );
      return;
    }
    if (loaded === undefined) {
      this.model.setPhase(
        'load-failed',
        'This kernel did not report loading jupyter-ext. jupyter-ext needs an IPython kernel (ipykernel) with jupyter-ext installed.'
      );
      return;
    }
    if (loaded.status === 'error') {
      this._loadFailed(loaded.ename ?? 'Error', loaded.evalue ?? '');
      return;
    }
    const result = (loaded as { data?: Record<string, unknown> }).data?.[
      'text/plain'
    ];
    if (typeof result === 'string' && result.includes('no load function')) {
      this.model.setPhase(
        'not-installed',
        `The kernel imports a module named jupyter_ext that is not this extension: ${INSTALL_HINT}.`
      );
      return;
    }
    this._openComm(kernel, generation);
  }

  /**
   * Wait until `kernel` can run code: a kernel that is starting or restarting
   * gets there by itself, and its status is the only sign. False when the
   * kernel died, or when another connect attempt took over meanwhile.
   */
  private _kernelReady(
    kernel: Kernel.IKernelConnection,
    current: () => boolean
  ): Promise<boolean> {
    const ready = () => kernel.status === 'idle' || kernel.status === 'busy';
    const show = () => {
      if (kernel.status === 'dead') {
        this.model.setPhase('dead');
      } else if (!ready()) {
        this.model.setPhase(
          kernel.status === 'starting' || kernel.status === 'unknown'
            ? 'connecting'
            : 'restarting',
          kernel.status === 'starting' || kernel.status === 'unknown'
            ? 'Waiting for the kernel to start…'
            : undefined
        );
      }
    };
    if (ready()) {
      return Promise.resolve(true);
    }
    show();
    const started = Date.now();
    return new Promise<boolean>(resolve => {
      const check = () => {
        if (!current() || kernel.isDisposed) {
          done(false);
        } else if (
          ready() ||
          // After a restart the kernel may stay "starting" until it is sent
          // something (its first status can be lost): once the socket is up
          // for a while, go ahead.
          (kernel.connectionStatus === 'connected' &&
            (kernel.status === 'starting' || kernel.status === 'unknown') &&
            Date.now() - started >= STARTING_GRACE_MS)
        ) {
          done(true);
        } else {
          show();
        }
      };
      const timer = setInterval(check, STARTING_GRACE_MS / 2);
      const done = (value: boolean) => {
        clearInterval(timer);
        kernel.statusChanged.disconnect(check);
        kernel.connectionStatusChanged.disconnect(check);
        this._stopWaiting = null;
        resolve(value);
      };
      kernel.statusChanged.connect(check);
      kernel.connectionStatusChanged.connect(check);
      // A newer connect attempt or dispose ends this wait.
      this._stopWaiting?.();
      this._stopWaiting = () => done(false);
    });
  }

  private _loadFailed(ename: string, evalue: string): void {
    const error = `${ename}: ${evalue}`;
    if (MISSING.has(ename)) {
      this.model.setPhase(
        'not-installed',
        `${PHASE_TEXT['not-installed']} (${error})`
      );
    } else if (NOT_IPYTHON.has(ename)) {
      this.model.setPhase(
        'load-failed',
        `This kernel cannot load IPython extensions (${error}). jupyter-ext needs an IPython kernel (ipykernel) with jupyter-ext installed.`
      );
    } else {
      this.model.setPhase(
        'load-failed',
        `jupyter-ext could not be loaded in this kernel: ${error}`
      );
    }
  }

  private _openComm(
    kernel: Kernel.IKernelConnection,
    generation: number
  ): void {
    let comm: Kernel.IComm;
    try {
      comm = kernel.createComm(COMM_TARGET);
    } catch (error) {
      this.model.setPhase(
        'load-failed',
        `Could not open a connection to the kernel: ${String(error)}`
      );
      return;
    }
    this._comm = comm;
    comm.onMsg = msg => this._onCommMsg(comm, msg.content.data);
    comm.onClose = () => this._onCommClose(comm);
    this.model.setPhase('connecting');
    this._armHelloTimer(kernel, generation);
    try {
      comm.open({ protocol: PROTOCOL_VERSION }).done.catch(ignore);
    } catch (error) {
      this._comm = null;
      this._clearHelloTimer();
      this.model.setPhase(
        'load-failed',
        `Could not open a connection to the kernel: ${String(error)}`
      );
    }
  }

  private _armHelloTimer(
    kernel: Kernel.IKernelConnection,
    generation: number
  ): void {
    this._clearHelloTimer();
    this._helloTimer = setTimeout(() => {
      this._helloTimer = null;
      if (
        generation !== this._generation ||
        this.model.phase !== 'connecting'
      ) {
        return;
      }
      // A kernel running a long cell answers after it: keep waiting.
      if (kernel.status === 'busy') {
        this.model.setPhase(
          'connecting',
          'Waiting for the kernel to finish running cells…'
        );
        this._armHelloTimer(kernel, generation);
        return;
      }
      this._closeComm(true);
      this.model.setPhase(
        'incompatible',
        "jupyter-ext in this kernel does not answer the panel (an older version?): pip install -U jupyter-ext in this kernel's environment, then restart the kernel."
      );
    }, this._options.helloTimeoutMs);
  }

  private _clearHelloTimer(): void {
    if (this._helloTimer !== null) {
      clearTimeout(this._helloTimer);
      this._helloTimer = null;
    }
  }

  private _closeComm(sendClose: boolean): void {
    this._clearHelloTimer();
    this._snapshots.cancel();
    this._requests.rejectAll('The connection to the kernel was closed.');
    const comm = this._comm;
    this._comm = null;
    if (comm && sendClose && !comm.isDisposed) {
      try {
        comm.close().done.catch(ignore);
      } catch {
        // Already gone with its kernel.
      }
    }
  }

  private _lostKernel(kernel: Kernel.IKernelConnection): void {
    this._closeComm(false);
    if (kernel.isDisposed || kernel.status === 'dead') {
      this._awaitingRestart = true;
      this.model.setPhase('dead');
    } else {
      this._awaitingRestart = true;
      this.model.setPhase('restarting');
    }
  }

  // -- messages ------------------------------------------------------------

  private _send(message: FrontendMessage): boolean {
    const comm = this._comm;
    if (comm === null || comm.isDisposed) {
      return false;
    }
    try {
      comm.send(message as unknown as JSONObject).done.catch(ignore);
      return true;
    } catch {
      return false;
    }
  }

  private _onCommMsg(comm: Kernel.IComm, data: unknown): void {
    if (comm !== this._comm) {
      return;
    }
    const { message, reason } = parseKernelMessage(data);
    if (message === null) {
      console.warn(
        `jupyter-ext: dropped a message from the kernel (${reason})`
      );
      this.model.noteRejected(reason);
      return;
    }
    switch (message.type) {
      case 'hello':
        this._clearHelloTimer();
        if (this.model.applyHello(message)) {
          this._snapshots.send(true);
        } else {
          this._closeComm(true);
        }
        break;
      case 'state':
        this._stateReceivedAt = performance.now();
        this.model.applyState(message);
        break;
      case 'response':
        this._requests.resolve(message);
        break;
    }
  }

  private _onCommClose(comm: Kernel.IComm): void {
    if (comm !== this._comm) {
      return;
    }
    const phase = this.model.phase;
    this._closeComm(false);
    if (phase === 'connecting') {
      this.model.setPhase(
        'incompatible',
        "jupyter-ext in this kernel has no panel connection (an older version?): pip install -U jupyter-ext in this kernel's environment, then restart the kernel."
      );
    } else if (phase === 'connected') {
      this.model.setPhase('closed');
    }
  }

  // -- notebook and kernel events ------------------------------------------

  private _onKernelChanged(): void {
    if (this._tracking) {
      void this._connect();
    }
  }

  private _onStatus(_: ISessionContext, status: Kernel.Status): void {
    if (!this._tracking) {
      return;
    }
    if (
      status === 'restarting' ||
      status === 'autorestarting' ||
      status === 'dead'
    ) {
      // Nothing may be sent while JupyterLab restarts the kernel: a request
      // sent then can leave the restarted connection waiting for ever.
      this._generation += 1;
      this._stopWaiting?.();
      this._closeComm(false);
      this._awaitingRestart = true;
      this.model.setPhase(status === 'dead' ? 'dead' : 'restarting');
    } else if (
      (status === 'idle' || status === 'busy') &&
      this._awaitingRestart &&
      !this.sessionContext.isRestarting
    ) {
      // A restart by the server (the process died) ends without kernelChanged.
      this._awaitingRestart = false;
      void this._connect();
    }
  }

  private _onScheduled(
    _: unknown,
    args: { notebook: unknown; cell: Cell }
  ): void {
    if (args.notebook !== this.panel.content) {
      return;
    }
    if (this.model.phase === 'connected') {
      this._snapshots.flush();
    } else if (
      !this._tracking &&
      args.cell.model.type === 'code' &&
      LOAD_IN_CELL.test(args.cell.model.sharedModel.getSource())
    ) {
      this._loadingCell = args.cell.model.id;
    }
  }

  private _onExecuted(
    _: unknown,
    args: { notebook: unknown; cell: Cell; success: boolean }
  ): void {
    if (
      args.notebook === this.panel.content &&
      this._loadingCell !== null &&
      args.cell.model.id === this._loadingCell
    ) {
      this._loadingCell = null;
      if (args.success && !this._tracking) {
        void this.track();
      }
    }
  }

  private _onContentChanged(): void {
    if (this.model.phase === 'connected') {
      this._snapshots.markDirty();
    }
  }

  private _onModelChanged(): void {
    this._changed.emit();
  }

  private _path(): string | null {
    return this.panel.context.path || null;
  }

  private _cells(): INotebookCell[] {
    const model = this.panel.content.model;
    const cells: INotebookCell[] = [];
    if (!model) {
      return cells;
    }
    for (let i = 0; i < model.cells.length; i++) {
      const cell = model.cells.get(i);
      cells.push({
        id: cell.id,
        cell_type: cell.type as CellType,
        source: cell.sharedModel.getSource()
      });
    }
    return cells;
  }

  private _stopWaiting: (() => void) | null = null;
  private _tracking = false;
  private _decided = false;
  private _disposed = false;
  private readonly _choiceMade = new Signal<this, boolean>(this);
  private _awaitingRestart = false;
  private _generation = 0;
  private _comm: Kernel.IComm | null = null;
  private _helloTimer: ReturnType<typeof setTimeout> | null = null;
  private _loadingCell: string | null = null;
  private _stateReceivedAt: number | null = null;
  private readonly _snapshots: SnapshotScheduler;
  private readonly _requests: RequestTracker;
  private readonly _changed = new Signal<this, void>(this);
}
