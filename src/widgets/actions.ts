/**
 * What the panel does to the notebook: reveal a cell, and the fixes offered
 * with the warnings. Fixes run cells through NotebookActions, as the notebook's
 * own Run commands do, so the executions carry cell ids and the snapshot is
 * flushed before each one.
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  ISessionContextDialogs,
  showDialog
} from '@jupyterlab/apputils';
import type { Cell } from '@jupyterlab/cells';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

import { upstreamOf } from '../model/graphLayout';
import { readGraph } from '../model/payloads';
import type { INotebookHygiene } from '../tokens';

/** How long "Restart and run" waits for tracking to come back before running anyway. */
const RECONNECT_TIMEOUT_MS = 30000;

export interface IActionResult {
  ok: boolean;
  /** What happened, for the panel's status line; empty when nothing needs saying. */
  message: string;
}

export class HygieneActions {
  constructor(
    private readonly _app: JupyterFrontEnd,
    private readonly _dialogs: ISessionContextDialogs | null
  ) {}

  /** Activate the notebook, select the cell and scroll it into view. */
  revealCell(panel: NotebookPanel, cellId: string): boolean {
    const notebook = panel.content;
    const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
    if (index < 0) {
      return false;
    }
    this._app.shell.activateById(panel.id);
    notebook.mode = 'command';
    notebook.deselectAll();
    notebook.activeCellIndex = index;
    const cell = notebook.widgets[index];
    void notebook.scrollToCell(cell, 'center').catch(() => undefined);
    return true;
  }

  async runStaleInOrder(hygiene: INotebookHygiene): Promise<IActionResult> {
    const stale = new Set(hygiene.model.cellsWithKind('stale'));
    const cells = this._cells(hygiene.panel, cell => stale.has(cell.model.id));
    if (cells.length === 0) {
      return { ok: true, message: 'No stale cells to run.' };
    }
    return this._run(hygiene.panel, cells);
  }

  async runUpstream(
    hygiene: INotebookHygiene,
    cellId: string
  ): Promise<IActionResult> {
    let upstream: Set<string>;
    try {
      const graph = readGraph(await hygiene.request('graph'));
      if (graph.error !== null) {
        return { ok: false, message: graph.error };
      }
      upstream = upstreamOf(graph.value, cellId);
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
    upstream.add(cellId);
    const cells = this._cells(hygiene.panel, cell =>
      upstream.has(cell.model.id)
    );
    if (cells.length === 0) {
      return { ok: false, message: 'That cell is no longer in the notebook.' };
    }
    return this._run(hygiene.panel, cells);
  }

  async restartAndRunTo(
    hygiene: INotebookHygiene,
    cellId: string
  ): Promise<IActionResult> {
    const panel = hygiene.panel;
    const index = panel.content.widgets.findIndex(
      cell => cell.model.id === cellId
    );
    if (index < 0) {
      return { ok: false, message: 'That cell is no longer in the notebook.' };
    }
    const answer = await showDialog({
      title: 'Restart the kernel and run up to here?',
      body: `All variables are lost; cells 1 to ${index + 1} then run in order.`,
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: 'Restart and run' })
      ]
    });
    if (!answer.button.accept) {
      return { ok: true, message: '' };
    }
    try {
      await panel.sessionContext.restartKernel();
    } catch (error) {
      return {
        ok: false,
        message: `The kernel could not restart: ${String(error)}`
      };
    }
    // Run even if tracking does not come back: the user asked for a clean run.
    const tracked = hygiene.tracking
      ? await hygiene.whenConnected(RECONNECT_TIMEOUT_MS)
      : true;
    const result = await this._run(
      panel,
      panel.content.widgets.slice(0, index + 1)
    );
    if (!tracked) {
      return {
        ok: result.ok,
        message:
          'The cells ran, but tracking did not reconnect after the restart.'
      };
    }
    return result;
  }

  private _cells(panel: NotebookPanel, keep: (cell: Cell) => boolean): Cell[] {
    return panel.content.widgets.filter(
      cell => cell.model.type === 'code' && keep(cell)
    );
  }

  private async _run(
    panel: NotebookPanel,
    cells: Cell[]
  ): Promise<IActionResult> {
    try {
      const ok = await NotebookActions.runCells(
        panel.content,
        cells,
        panel.sessionContext,
        this._dialogs ?? undefined
      );
      return {
        ok,
        message: ok ? '' : 'A cell failed; the cells after it did not run.'
      };
    } catch (error) {
      return {
        ok: false,
        message: `Could not run the cells: ${String(error)}`
      };
    }
  }
}
