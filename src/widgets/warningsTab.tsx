/**
 * The warnings of the active notebook, in document order, each naming its
 * cell by position and prompt, with the fixes that apply. Rendered straight
 * from the pushed state (no request), so it is current as soon as a state
 * arrives; the time from arrival to rendered list is recorded with the
 * Performance API as `jupyter-ext:panel-update`.
 */

import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { KIND_LABELS } from '../model/hygieneModel';
import { cellLabel } from '../model/labels';
import { isKnownWarningKind, IWarning } from '../protocol';
import type { INotebookHygiene } from '../tokens';
import type { HygieneActions } from './actions';
import { HygieneTab } from './tab';

export const PANEL_UPDATE_MEASURE = 'jupyter-ext:panel-update';

interface IRow {
  warning: IWarning;
  position: number | null;
  executionCount: number | null;
}

function rows(hygiene: INotebookHygiene): IRow[] {
  const positions = new Map<string, number>();
  const model = hygiene.panel.content.model;
  if (model) {
    for (let i = 0; i < model.cells.length; i++) {
      positions.set(model.cells.get(i).id, i);
    }
  }
  return hygiene.model.warnings
    .map(warning => ({
      warning,
      position:
        warning.cell_id !== null
          ? (positions.get(warning.cell_id) ?? null)
          : null,
      executionCount:
        warning.cell_id !== null
          ? (hygiene.model.cellStatus(warning.cell_id)?.execution_count ?? null)
          : null
    }))
    .sort(
      (a, b) =>
        (a.position ?? Number.MAX_SAFE_INTEGER) -
          (b.position ?? Number.MAX_SAFE_INTEGER) ||
        a.warning.kind.localeCompare(b.warning.kind)
    );
}

/** Records how long the state took to reach the screen, once per state. */
function Measure(props: { receivedAt: number | null }): null {
  React.useEffect(() => {
    if (props.receivedAt === null || typeof performance === 'undefined') {
      return;
    }
    try {
      performance.measure(PANEL_UPDATE_MEASURE, {
        start: props.receivedAt,
        end: performance.now()
      });
    } catch {
      // Only timing; never worth an error.
    }
  }, [props.receivedAt]);
  return null;
}

export class WarningsTab extends HygieneTab {
  constructor(...args: ConstructorParameters<typeof HygieneTab>) {
    super(...args);
    this.addClass('jp-jupyterExt-warnings');
    this.title.label = 'Warnings';
  }

  protected render(): React.ReactElement {
    const waiting = this.notConnected();
    const hygiene = this.hygiene;
    if (waiting || hygiene === null) {
      return waiting ?? <></>;
    }
    const list = rows(hygiene);
    const stale = hygiene.model.cellsWithKind('stale').length;
    const unknown = hygiene.model.unknownWarnings;
    return (
      <>
        <Measure receivedAt={hygiene.stateReceivedAt} />
        <div className="jp-jupyterExt-toolbar">
          <span className="jp-jupyterExt-count" role="status">
            {list.length === 0
              ? hygiene.state
                ? 'No warnings: the notebook runs as it reads.'
                : 'Waiting for the first state from the kernel…'
              : `${list.length} warning${list.length === 1 ? '' : 's'}`}
          </span>
          {stale > 0 && (
            <Button
              small
              className="jp-jupyterExt-runStale"
              title="Run every stale cell again, top to bottom"
              onClick={() => this._act(a => a.runStaleInOrder(hygiene))}
            >
              Run stale cells in order
            </Button>
          )}
        </div>
        <ul className="jp-jupyterExt-warningList" aria-label="Hygiene warnings">
          {list.map((row, index) => this._renderRow(hygiene, row, index))}
        </ul>
        {unknown > 0 && (
          <p className="jp-jupyterExt-note">
            {`${unknown} finding${unknown === 1 ? '' : 's'} of kinds this version of the panel does not know ${unknown === 1 ? 'is' : 'are'} not shown.`}
          </p>
        )}
      </>
    );
  }

  private _renderRow(
    hygiene: INotebookHygiene,
    row: IRow,
    index: number
  ): React.ReactElement {
    const { warning } = row;
    const cellId = warning.cell_id;
    const inDocument = cellId !== null && row.position !== null;
    const where =
      cellId === null ? 'no cell' : cellLabel(row.position, row.executionCount);
    const kind = isKnownWarningKind(warning.kind)
      ? KIND_LABELS[warning.kind]
      : warning.kind;
    const reveal = () => {
      if (cellId !== null) {
        this.services.actions.revealCell(hygiene.panel, cellId);
      }
    };
    return (
      <li
        key={`${index}-${warning.kind}-${cellId ?? ''}`}
        className={`jp-jupyterExt-warning jp-jupyterExt-kind-${warning.kind.replace(/_/g, '-')}`}
        data-kind={warning.kind}
        data-cell-id={cellId ?? ''}
      >
        <button
          className="jp-jupyterExt-warningMain"
          disabled={!inDocument}
          onClick={reveal}
          title={inDocument ? `Go to ${where}` : undefined}
          aria-label={`${kind} warning on ${where}: ${warning.message}`}
        >
          <span className="jp-jupyterExt-kindChip">{kind}</span>
          <span className="jp-jupyterExt-where">{where}</span>
          <span className="jp-jupyterExt-message">{warning.message}</span>
        </button>
        {inDocument && cellId !== null && (
          <div className="jp-jupyterExt-fixes">
            <Button
              small
              minimal
              title="Run the cells this one depends on, then this one, in document order"
              onClick={() => this._act(a => a.runUpstream(hygiene, cellId))}
            >
              Run upstream of this cell
            </Button>
            <Button
              small
              minimal
              title="Restart the kernel and run every cell from the top down to this one"
              onClick={() => this._act(a => a.restartAndRunTo(hygiene, cellId))}
            >
              Restart and run all up to here
            </Button>
          </div>
        )}
      </li>
    );
  }

  private _act(
    action: (
      actions: HygieneActions
    ) => Promise<{ ok: boolean; message: string }>
  ): void {
    void action(this.services.actions).then(
      result => this.services.notify(result.message),
      error => this.services.notify(String(error))
    );
  }
}
