/**
 * The current run as the kernel recorded it (id, start, Python, packages, git)
 * and how its environment differs from the previous run of this notebook,
 * plus the notebook's run history from the store.
 */

import * as React from 'react';

import { formatTime } from '../model/labels';
import {
  IHistory,
  IRunInfo,
  Payload,
  readHistory,
  readRun
} from '../model/payloads';
import { RequestError } from '../model/requests';
import type { INotebookHygiene } from '../tokens';
import { FetchingTab, IPanelServices } from './tab';

interface IRunData {
  run: Payload<IRunInfo>;
  history: Payload<IHistory>;
}

/** Free-form environment values (strings, objects) as one line of text. */
function describe(value: unknown): string {
  if (value === null || value === undefined || value === '') {
    return '—';
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== null && item !== undefined && item !== '')
      .map(([key, item]) =>
        typeof item === 'object'
          ? `${key}: ${JSON.stringify(item)}`
          : `${key}: ${String(item)}`
      )
      .join(', ');
  }
  return JSON.stringify(value);
}

function gitText(git: unknown): string {
  if (typeof git !== 'object' || git === null || Array.isArray(git)) {
    return describe(git);
  }
  const info = git as Record<string, unknown>;
  const commit =
    typeof info.commit === 'string' ? info.commit.slice(0, 10) : null;
  if (commit === null) {
    return describe(git);
  }
  const branch = typeof info.branch === 'string' ? ` on ${info.branch}` : '';
  const dirty =
    info.dirty === true
      ? ', uncommitted changes'
      : info.dirty === false
        ? ', clean'
        : '';
  return `${commit}${branch}${dirty}`;
}

function settle<T>(promise: Promise<Payload<T>>): Promise<Payload<T>> {
  return promise.catch((error: unknown) => ({
    value: null,
    error:
      error instanceof RequestError || error instanceof Error
        ? error.message
        : String(error)
  }));
}

export class RunTab extends FetchingTab<IRunData> {
  constructor(services: IPanelServices) {
    super(services);
    this.addClass('jp-jupyterExt-run');
    this.title.label = 'Run';
  }

  protected async fetch(hygiene: INotebookHygiene): Promise<Payload<IRunData>> {
    const [run, history] = await Promise.all([
      settle(hygiene.request('run').then(readRun)),
      settle(hygiene.request('history', { limit: 10 }).then(readHistory))
    ]);
    return { value: { run, history }, error: null };
  }

  protected renderData(data: IRunData): React.ReactElement {
    return (
      <>
        {this._renderRun(data.run)}
        {this._renderHistory(data.history)}
      </>
    );
  }

  private _renderRun(run: Payload<IRunInfo>): React.ReactElement {
    if (run.error !== null) {
      return (
        <section aria-label="This run">
          <h3>This run</h3>
          <p className="jp-jupyterExt-error" role="alert">
            {run.error}
          </p>
        </section>
      );
    }
    const info = run.value;
    const packages = Object.entries(info.packages).sort(([a], [b]) =>
      a.localeCompare(b)
    );
    const previous = info.previous;
    const changes: string[] = [];
    if (previous) {
      for (const [name, version] of Object.entries(previous.packages_added)) {
        changes.push(`+ ${name} ${version}`);
      }
      for (const [name, version] of Object.entries(previous.packages_removed)) {
        changes.push(`− ${name} ${version}`);
      }
      for (const [name, [old, now]] of Object.entries(
        previous.packages_changed
      )) {
        changes.push(`${name} ${old} → ${now}`);
      }
    }
    return (
      <section aria-label="This run">
        <h3>This run</h3>
        <dl className="jp-jupyterExt-facts">
          <dt>Run id</dt>
          <dd className="jp-jupyterExt-mono">{info.run_id}</dd>
          <dt>Started</dt>
          <dd>{formatTime(info.started_at)}</dd>
          <dt>Kernel</dt>
          <dd>{info.kernel ?? '—'}</dd>
          <dt>Python</dt>
          <dd>{describe(info.python)}</dd>
          <dt>Platform</dt>
          <dd>{describe(info.platform)}</dd>
          <dt>Git</dt>
          <dd>{gitText(info.git)}</dd>
        </dl>
        <h4>Since the previous run</h4>
        {previous === null || previous.run_id === null ? (
          <p className="jp-jupyterExt-empty">
            No earlier run of this notebook.
          </p>
        ) : changes.length === 0 ? (
          <p>{`Same imported packages as run ${previous.run_id}.`}</p>
        ) : (
          <ul className="jp-jupyterExt-changes" aria-label="Package changes">
            {changes.map(change => (
              <li key={change}>{change}</li>
            ))}
          </ul>
        )}
        <h4>Imported packages</h4>
        {packages.length === 0 ? (
          <p className="jp-jupyterExt-empty">None recorded yet.</p>
        ) : (
          <table className="jp-jupyterExt-table" aria-label="Imported packages">
            <tbody>
              {packages.map(([name, version]) => (
                <tr key={name}>
                  <td>{name}</td>
                  <td className="jp-jupyterExt-mono">{version}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    );
  }

  private _renderHistory(history: Payload<IHistory>): React.ReactElement {
    return (
      <section aria-label="Run history">
        <h3>Earlier runs</h3>
        {history.error !== null ? (
          <p className="jp-jupyterExt-error" role="alert">
            {history.error}
          </p>
        ) : history.value.runs.length === 0 ? (
          <p className="jp-jupyterExt-empty">
            No runs stored for this notebook.
          </p>
        ) : (
          <table className="jp-jupyterExt-table" aria-label="Run history">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Started</th>
                <th scope="col">Executions</th>
                <th scope="col">Errors</th>
              </tr>
            </thead>
            <tbody>
              {history.value.runs.map(run => (
                <tr
                  key={run.run_id}
                  className={
                    run.run_id === history.value.current_run
                      ? 'jp-jupyterExt-current'
                      : undefined
                  }
                >
                  <td className="jp-jupyterExt-mono" title={run.run_id}>
                    {run.run_id.slice(0, 12)}
                    {run.run_id === history.value.current_run
                      ? ' (this run)'
                      : ''}
                  </td>
                  <td>{formatTime(run.started_at)}</td>
                  <td>{run.executions ?? '—'}</td>
                  <td>{run.errors ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    );
  }
}
