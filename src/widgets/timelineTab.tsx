/**
 * Executions in run order (x) against the cell's place in the notebook (y):
 * a notebook run top to bottom is a line going down; every jump back up is
 * drawn in the warning colour. Bars under the chart give each execution's
 * duration.
 */

import * as React from 'react';

import { cellLabel, formatDuration } from '../model/labels';
import {
  ITimeline,
  ITimelineEntry,
  Payload,
  readTimeline
} from '../model/payloads';
import type { INotebookHygiene } from '../tokens';
import { FetchingTab, IPanelServices } from './tab';

const STEP = 14;
const MARGIN = { left: 44, top: 10, right: 12 };
const BAR_HEIGHT = 36;

interface IPoint {
  entry: ITimelineEntry;
  x: number;
  y: number;
  row: number | null;
  label: string;
}

export class TimelineTab extends FetchingTab<ITimeline> {
  constructor(services: IPanelServices) {
    super(services);
    this.addClass('jp-jupyterExt-timeline');
    this.title.label = 'Timeline';
  }

  protected fetch(hygiene: INotebookHygiene): Promise<Payload<ITimeline>> {
    return hygiene.request('timeline').then(readTimeline);
  }

  protected renderData(timeline: ITimeline): React.ReactElement {
    const entries = timeline.entries;
    if (entries.length === 0) {
      return <p className="jp-jupyterExt-empty">No executions recorded yet.</p>;
    }
    const hygiene = this.hygiene as INotebookHygiene;
    const positions = new Map<string, number>();
    hygiene.panel.content.widgets.forEach((cell, index) =>
      positions.set(cell.model.id, index)
    );
    const rowOf = (entry: ITimelineEntry): number | null =>
      entry.cell_id !== null ? (positions.get(entry.cell_id) ?? null) : null;
    const rows = Math.max(1, hygiene.panel.content.widgets.length);
    const rowHeight = Math.max(4, Math.min(18, Math.floor(320 / rows)));
    // One extra row at the bottom for executions outside the document.
    const chartHeight = (rows + 1) * rowHeight;
    const points: IPoint[] = entries.map((entry, index) => {
      const row = rowOf(entry);
      return {
        entry,
        row,
        x: MARGIN.left + index * STEP + STEP / 2,
        y: MARGIN.top + (row ?? rows) * rowHeight + rowHeight / 2,
        label:
          entry.cell_id === null
            ? `[${entry.execution_count ?? '?'}] outside the notebook`
            : cellLabel(row, entry.execution_count)
      };
    });
    const width = MARGIN.left + entries.length * STEP + MARGIN.right;
    const height = MARGIN.top + chartHeight + 8 + BAR_HEIGHT + 4;
    const longest = Math.max(...entries.map(e => e.duration ?? 0), 1e-6);
    let jumps = 0;
    for (let i = 1; i < points.length; i++) {
      const [a, b] = [points[i - 1].row, points[i].row];
      if (a !== null && b !== null && b < a) {
        jumps += 1;
      }
    }
    const total = entries.reduce((sum, e) => sum + (e.duration ?? 0), 0);
    const tickEvery = Math.max(1, Math.ceil(rows / 8));
    return (
      <>
        <p className="jp-jupyterExt-count" role="status">
          {`${entries.length} executions, ${jumps} jump${jumps === 1 ? '' : 's'} back up, ${formatDuration(total)} in total.`}
        </p>
        {timeline.not_kept !== null && (
          <p className="jp-jupyterExt-notKept" role="note">
            {timeline.not_kept}
          </p>
        )}
        <div className="jp-jupyterExt-graphScroll">
          <svg
            className="jp-jupyterExt-timelineChart"
            width={width}
            height={height}
            role="img"
            aria-label={`Timeline of ${entries.length} executions: run order across, cell position down; ${jumps} jumps back up`}
          >
            {Array.from({ length: rows }, (_, row) => row)
              .filter(row => row % tickEvery === 0)
              .map(row => (
                <text
                  key={`tick-${row}`}
                  className="jp-jupyterExt-axis"
                  x={MARGIN.left - 6}
                  y={MARGIN.top + row * rowHeight + rowHeight / 2 + 3}
                  textAnchor="end"
                >
                  {`cell ${row + 1}`}
                </text>
              ))}
            {points.slice(1).map((point, index) => {
              const previous = points[index];
              const back =
                previous.row !== null &&
                point.row !== null &&
                point.row < previous.row;
              return (
                <line
                  key={`seg-${point.entry.seq}`}
                  className={
                    back
                      ? 'jp-jupyterExt-segment jp-jupyterExt-jump'
                      : 'jp-jupyterExt-segment'
                  }
                  x1={previous.x}
                  y1={previous.y}
                  x2={point.x}
                  y2={point.y}
                />
              );
            })}
            {points.map(point => {
              const duration = point.entry.duration ?? 0;
              const barHeight = Math.max(
                1,
                Math.sqrt(duration / longest) * BAR_HEIGHT
              );
              const text = `#${point.entry.seq} ${point.label}: ${formatDuration(point.entry.duration)}${point.entry.status === 'error' ? ' (error)' : ''}`;
              return (
                <g
                  key={`pt-${point.entry.seq}`}
                  className={
                    point.entry.status === 'error'
                      ? 'jp-jupyterExt-execution jp-jupyterExt-execution-error'
                      : 'jp-jupyterExt-execution'
                  }
                >
                  <title>{text}</title>
                  <circle cx={point.x} cy={point.y} r={4} />
                  <rect
                    className="jp-jupyterExt-duration"
                    x={point.x - STEP / 2 + 2}
                    y={MARGIN.top + chartHeight + 8 + BAR_HEIGHT - barHeight}
                    width={STEP - 4}
                    height={barHeight}
                  />
                </g>
              );
            })}
          </svg>
        </div>
        <details className="jp-jupyterExt-timelineList">
          <summary>Executions as a list</summary>
          <ol>
            {points.map(point => (
              <li key={`li-${point.entry.seq}`}>
                {`${point.label} — ${formatDuration(point.entry.duration)}${point.entry.status === 'error' ? ' (error)' : ''}`}
              </li>
            ))}
          </ol>
        </details>
      </>
    );
  }
}
