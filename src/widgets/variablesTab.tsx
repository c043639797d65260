/**
 * The live variables the kernel tracked: name, type, a short digest, the cell
 * that wrote the current value, when it last changed and whether it was
 * mutated in place. A name opens its lineage.
 */

import * as React from 'react';

import { executionLabel } from '../model/labels';
import { IVariable, Payload, readVariables } from '../model/payloads';
import type { INotebookHygiene } from '../tokens';
import { FetchingTab, IPanelServices } from './tab';

export class VariablesTab extends FetchingTab<IVariable[]> {
  constructor(services: IPanelServices) {
    super(services);
    this.addClass('jp-jupyterExt-variables');
    this.title.label = 'Variables';
  }

  protected fetch(hygiene: INotebookHygiene): Promise<Payload<IVariable[]>> {
    return hygiene.request('variables').then(readVariables);
  }

  protected renderData(variables: IVariable[]): React.ReactElement {
    const hygiene = this.hygiene as INotebookHygiene;
    const positions = new Map<string, number>();
    hygiene.panel.content.widgets.forEach((cell, index) =>
      positions.set(cell.model.id, index)
    );
    const positionOf = (id: string) => positions.get(id) ?? null;
    const needle = this._filter.trim().toLowerCase();
    const shown = variables
      .filter(v => needle === '' || v.name.toLowerCase().includes(needle))
      .sort((a, b) => a.name.localeCompare(b.name));
    return (
      <>
        <div className="jp-jupyterExt-toolbar">
          <input
            className="jp-mod-styled jp-jupyterExt-filter"
            type="search"
            placeholder="Filter by name"
            aria-label="Filter variables by name"
            value={this._filter}
            onChange={event => {
              this._filter = event.currentTarget.value;
              this.update();
            }}
          />
          <span className="jp-jupyterExt-count">
            {`${shown.length} of ${variables.length}`}
          </span>
        </div>
        {variables.length === 0 ? (
          <p className="jp-jupyterExt-empty">No variables recorded yet.</p>
        ) : (
          <table className="jp-jupyterExt-table" aria-label="Tracked variables">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Digest</th>
                <th scope="col">Written by</th>
                <th scope="col">Changed</th>
                <th scope="col">Mutated</th>
              </tr>
            </thead>
            <tbody>
              {shown.map(variable => {
                const writerId = variable.writer?.cell_id ?? null;
                return (
                  <tr key={variable.name} data-name={variable.name}>
                    <td>
                      <button
                        className="jp-jupyterExt-link"
                        title={`Show the lineage of ${variable.name}`}
                        onClick={() => this.services.showLineage(variable.name)}
                      >
                        {variable.name}
                      </button>
                    </td>
                    <td>{variable.type}</td>
                    <td className="jp-jupyterExt-mono">
                      {variable.opaque || variable.digest === null
                        ? 'opaque'
                        : variable.digest.slice(0, 8)}
                    </td>
                    <td>
                      {writerId !== null && positions.has(writerId) ? (
                        <button
                          className="jp-jupyterExt-link"
                          onClick={() =>
                            this.services.actions.revealCell(
                              hygiene.panel,
                              writerId
                            )
                          }
                        >
                          {executionLabel(variable.writer, positionOf)}
                        </button>
                      ) : (
                        executionLabel(variable.writer, positionOf)
                      )}
                    </td>
                    <td>
                      {variable.changed_seq === null
                        ? '—'
                        : `execution ${variable.changed_seq}`}
                    </td>
                    <td>{variable.mutated ? 'yes' : ''}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </>
    );
  }

  private _filter = '';
}
