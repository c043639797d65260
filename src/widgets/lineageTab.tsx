/**
 * The lineage graph of the active notebook: cells top to bottom in document
 * order, the variables that flow between them on the edges, out-of-order
 * edges dashed, and the active cell's upstream and downstream highlighted.
 * Large notebooks stay readable by filtering on a variable name and hiding
 * cells that take part in no flow; the graph scrolls.
 */

import { DOMUtils } from '@jupyterlab/apputils';
import type { Cell } from '@jupyterlab/cells';
import type { Notebook } from '@jupyterlab/notebook';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  highlight,
  IGraphLayout,
  ILaidOutEdge,
  ILaidOutNode,
  layoutGraph
} from '../model/graphLayout';
import { cellLabel, executionLabel } from '../model/labels';
import {
  IGraph,
  ILineage,
  Payload,
  readGraph,
  readLineage
} from '../model/payloads';
import type { INotebookHygiene } from '../tokens';
import { FetchingTab, IPanelServices } from './tab';

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function pathOf(points: { x: number; y: number }[]): string {
  return points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`)
    .join(' ');
}

export class LineageTab extends FetchingTab<IGraph> {
  constructor(services: IPanelServices) {
    super(services);
    this.addClass('jp-jupyterExt-lineage');
    this.title.label = 'Lineage';
    // Marker ids must be unique in the page.
    this.id = DOMUtils.createDomID();
  }

  /** Show one variable: filter the graph on it and fetch its lineage. */
  showName(name: string): void {
    this._filter = name;
    this._lineageFor = name;
    this._lineage = null;
    const hygiene = this.hygiene;
    if (hygiene) {
      const ticket = ++this._lineageTicket;
      hygiene
        .request('lineage', { name })
        .then(
          readLineage,
          (error: Error) =>
            ({
              value: null,
              error: error.message
            }) as Payload<ILineage>
        )
        .then(result => {
          if (ticket === this._lineageTicket) {
            this._lineage = result;
            this.update();
          }
        });
    }
    this.update();
  }

  protected fetch(hygiene: INotebookHygiene): Promise<Payload<IGraph>> {
    return hygiene.request('graph').then(readGraph);
  }

  protected onHygieneSwitched(): void {
    this._activeNotebook?.activeCellChanged.disconnect(this._onActive, this);
    this._activeNotebook = this.hygiene?.panel.content ?? null;
    this._activeNotebook?.activeCellChanged.connect(this._onActive, this);
    this._lineage = null;
    this._lineageFor = null;
    this._layoutKey = null;
    super.onHygieneSwitched();
  }

  dispose(): void {
    this._activeNotebook?.activeCellChanged.disconnect(this._onActive, this);
    super.dispose();
  }

  protected renderData(graph: IGraph): React.ReactElement {
    const hygiene = this.hygiene as INotebookHygiene;
    const positions = new Map<string, number>();
    hygiene.panel.content.widgets.forEach((cell, index) =>
      positions.set(cell.model.id, index)
    );
    const selected = hygiene.panel.content.activeCell?.model.id ?? null;
    const layout = this._graphLayout(graph, selected);
    return (
      <div className="jp-jupyterExt-graphTab">
        <div className="jp-jupyterExt-toolbar">
          <input
            className="jp-mod-styled jp-jupyterExt-filter"
            type="search"
            placeholder="Filter by variable name"
            aria-label="Filter the graph by variable name"
            value={this._filter}
            onChange={event => {
              this._filter = event.currentTarget.value;
              if (
                this._lineageFor !== null &&
                this._filter !== this._lineageFor
              ) {
                this._lineageFor = null;
                this._lineage = null;
              }
              this.update();
            }}
          />
          <label className="jp-jupyterExt-check">
            <input
              type="checkbox"
              checked={this._hideIsolated}
              onChange={event => {
                this._hideIsolated = event.currentTarget.checked;
                this.update();
              }}
            />
            Hide unconnected cells
          </label>
        </div>
        {this._renderLineage(positions)}
        <p className="jp-jupyterExt-legend">
          <span className="jp-jupyterExt-legend-ooo">dashed</span>: the value
          comes from a cell further down (out of order).{' '}
          <span className="jp-jupyterExt-legend-up">upstream</span> and{' '}
          <span className="jp-jupyterExt-legend-down">downstream</span> of the
          selected cell are highlighted.
          {layout.hidden > 0 && ` ${layout.hidden} cells hidden.`}
        </p>
        {layout.nodes.length === 0 ? (
          <p className="jp-jupyterExt-empty">
            {graph.nodes.length === 0
              ? 'No executions recorded yet: run a cell.'
              : 'No cell matches the filter.'}
          </p>
        ) : (
          <div className="jp-jupyterExt-graphScroll">
            {this._renderSvg(hygiene, layout, positions)}
          </div>
        )}
      </div>
    );
  }

  private _graphLayout(graph: IGraph, selected: string | null): IGraphLayout {
    const key = [graph, this._filter, this._hideIsolated];
    if (
      this._layoutKey === null ||
      key.some((part, index) => part !== this._layoutKey?.[index])
    ) {
      this._layoutKey = key;
      this._layoutValue = layoutGraph(graph, {
        filter: this._filter,
        hideIsolated: this._hideIsolated
      });
    }
    return highlight(this._layoutValue as IGraphLayout, graph, selected);
  }

  private _renderLineage(
    positions: Map<string, number>
  ): React.ReactElement | null {
    if (this._lineageFor === null) {
      return null;
    }
    const positionOf = (id: string) => positions.get(id) ?? null;
    const lineage = this._lineage;
    const name = this._lineageFor;
    return (
      <section
        className="jp-jupyterExt-lineageDetail"
        aria-label={`Lineage of ${name}`}
      >
        <h3>
          <code>{name}</code>
          <Button
            small
            minimal
            aria-label="Close the lineage details"
            onClick={() => {
              this._lineageFor = null;
              this._lineage = null;
              this._filter = '';
              this.update();
            }}
          >
            ×
          </Button>
        </h3>
        {lineage === null ? (
          <p className="jp-jupyterExt-empty">Loading…</p>
        ) : lineage.error !== null ? (
          <p className="jp-jupyterExt-error" role="alert">
            {lineage.error}
          </p>
        ) : (
          <dl>
            <dt>Current value</dt>
            <dd>
              {`${lineage.value.current?.kind ?? 'unknown'} by ${executionLabel(lineage.value.produced_by, positionOf)}`}
              {lineage.value.current?.digest
                ? `, digest ${lineage.value.current.digest.slice(0, 12)}`
                : ', opaque value'}
            </dd>
            {lineage.value.inputs.length > 0 && <dt>Made from</dt>}
            {lineage.value.inputs.map(input => (
              <dd key={`in-${input.name}`}>
                <code>{input.name}</code>
                {` ← ${executionLabel(input.from, positionOf)}`}
              </dd>
            ))}
            {lineage.value.downstream.length > 0 && <dt>Read by</dt>}
            {lineage.value.downstream.map((ref, index) => (
              <dd key={`down-${index}`}>
                {executionLabel(ref, positionOf)}
                {ref.names.length > 0 && ` → ${ref.names.join(', ')}`}
              </dd>
            ))}
            {lineage.value.history.length > 1 && <dt>History</dt>}
            {lineage.value.history.length > 1 && (
              <dd>
                {lineage.value.history
                  .map(
                    v =>
                      `${v.kind} by ${executionLabel({ ...v, position: null }, positionOf)}`
                  )
                  .join(' · ')}
              </dd>
            )}
            {lineage.value.not_kept !== null && (
              <dd className="jp-jupyterExt-notKept" role="note">
                {lineage.value.not_kept}
              </dd>
            )}
          </dl>
        )}
      </section>
    );
  }

  private _renderSvg(
    hygiene: INotebookHygiene,
    layout: IGraphLayout,
    positions: Map<string, number>
  ): React.ReactElement {
    const label = (node: ILaidOutNode) => {
      const position = node.node.cell_id
        ? (positions.get(node.node.cell_id) ?? null)
        : null;
      return node.node.cell_id
        ? cellLabel(position, node.node.execution_count)
        : executionLabel(node.node, () => null);
    };
    return (
      <svg
        className="jp-jupyterExt-graph"
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="group"
        aria-label="Lineage graph of the notebook's cells"
      >
        <defs>
          {['none', 'ooo', 'upstream', 'downstream'].map(kind => (
            <marker
              key={kind}
              id={`jp-jupyterExt-arrow-${kind}-${this.id}`}
              className={`jp-jupyterExt-arrow jp-jupyterExt-arrow-${kind}`}
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path d="M0,0 L10,5 L0,10 z" />
            </marker>
          ))}
        </defs>
        <g className="jp-jupyterExt-edges">
          {layout.edges.map(edge => this._renderEdge(edge))}
        </g>
        <g className="jp-jupyterExt-nodes">
          {layout.nodes.map(node => {
            const text = label(node);
            const writes = node.writes.length
              ? `→ ${node.writes.join(', ')}`
              : '';
            const cellId = node.node.cell_id;
            const reveal = () => {
              if (cellId) {
                this.services.actions.revealCell(hygiene.panel, cellId);
              }
            };
            return (
              <g
                key={node.key}
                className={`jp-jupyterExt-node jp-jupyterExt-role-${node.role}${node.node.status === 'error' ? ' jp-jupyterExt-node-error' : ''}`}
                transform={`translate(${node.x - node.width / 2},${node.y - node.height / 2})`}
                data-key={node.key}
                role="button"
                tabIndex={0}
                aria-label={`${text}${writes ? `, writes ${node.writes.join(', ')}` : ''}`}
                onClick={reveal}
                onKeyDown={event => {
                  if (event.key === 'Enter' || event.key === ' ') {
                    event.preventDefault();
                    reveal();
                  }
                }}
              >
                <title>{`${text}${writes ? `\nwrites ${node.writes.join(', ')}` : ''}`}</title>
                <rect width={node.width} height={node.height} rx={4} />
                <text x={8} y={14} className="jp-jupyterExt-nodeLabel">
                  {text}
                </text>
                <text x={8} y={28} className="jp-jupyterExt-nodeWrites">
                  {truncate(writes, 32)}
                </text>
              </g>
            );
          })}
        </g>
      </svg>
    );
  }

  private _renderEdge(edge: ILaidOutEdge): React.ReactElement {
    const marker = edge.outOfOrder
      ? 'ooo'
      : edge.role === 'none'
        ? 'none'
        : edge.role;
    const middle = edge.points[Math.floor(edge.points.length / 2)];
    const names = edge.names.join(', ');
    return (
      <g
        key={`${edge.from}->${edge.to}`}
        className={`jp-jupyterExt-edge jp-jupyterExt-role-${edge.role}${edge.outOfOrder ? ' jp-jupyterExt-edge-ooo' : ''}`}
        data-from={edge.from}
        data-to={edge.to}
      >
        <title>{`${names}${edge.outOfOrder ? ' (from a cell further down: out of order)' : ''}`}</title>
        <path
          d={pathOf(edge.points)}
          markerEnd={`url(#jp-jupyterExt-arrow-${marker}-${this.id})`}
        />
        {middle && (
          <text
            x={middle.x + 4}
            y={middle.y - 2}
            className="jp-jupyterExt-edgeLabel"
          >
            {truncate(names, 24)}
          </text>
        )}
      </g>
    );
  }

  private _onActive(_: unknown, cell: Cell | null): void {
    void cell;
    if (this.isVisible && this.data !== null) {
      this.update();
    }
  }

  private _filter = '';
  private _hideIsolated = false;
  private _lineageFor: string | null = null;
  private _lineage: Payload<ILineage> | null = null;
  private _lineageTicket = 0;
  private _layoutKey: unknown[] | null = null;
  private _layoutValue: IGraphLayout | null = null;
  private _activeNotebook: Notebook | null = null;
}
