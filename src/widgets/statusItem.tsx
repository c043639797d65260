/**
 * The status bar item: the active notebook's warning count, or what keeps it
 * from being tracked. Clicking it opens the panel.
 */

import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IHygieneTracker, INotebookHygiene } from '../tokens';
import { hygieneIcon } from './icons';

export function statusText(hygiene: INotebookHygiene | null): string | null {
  if (hygiene === null || !hygiene.tracking) {
    return null;
  }
  const model = hygiene.model;
  switch (model.phase) {
    case 'connected': {
      if (model.state === null) {
        return 'Hygiene: …';
      }
      const count = model.warnings.length;
      return count === 0
        ? 'Hygiene: no warnings'
        : `Hygiene: ${count} warning${count === 1 ? '' : 's'}`;
    }
    case 'loading':
    case 'connecting':
      return 'Hygiene: connecting…';
    case 'restarting':
      return 'Hygiene: kernel restarting';
    default:
      return 'Hygiene: not tracking';
  }
}

export class HygieneStatus extends ReactWidget {
  constructor(
    private readonly _tracker: IHygieneTracker,
    private readonly _open: () => void
  ) {
    super();
    this.addClass('jp-jupyterExt-statusItem');
    _tracker.currentChanged.connect(this._follow, this);
    _tracker.changed.connect(this._onChanged, this);
  }

  dispose(): void {
    this._tracker.currentChanged.disconnect(this._follow, this);
    this._tracker.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  protected render(): React.ReactElement | null {
    const hygiene = this._tracker.current;
    const text = statusText(hygiene);
    if (text === null || hygiene === null) {
      return null;
    }
    const count = hygiene.model.warnings.length;
    return (
      <button
        className={`jp-jupyterExt-statusButton${count > 0 ? ' jp-mod-warn' : ''}`}
        title={`${hygiene.model.status.detail || text}. Click to open the hygiene panel.`}
        onClick={this._open}
      >
        <hygieneIcon.react tag="span" className="jp-jupyterExt-statusIcon" />
        <span>{text}</span>
      </button>
    );
  }

  private _follow(): void {
    this.update();
  }

  private _onChanged(_: IHygieneTracker, hygiene: INotebookHygiene): void {
    if (hygiene === this._tracker.current) {
      this.update();
    }
  }
}
