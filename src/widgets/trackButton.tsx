/**
 * The notebook toolbar's Track button, bound to its own notebook (not to
 * whichever is active), pressed while that notebook is tracked.
 */

import { ReactWidget, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { INotebookHygiene } from '../tokens';
import { hygieneIcon } from './icons';

export class TrackButton extends ReactWidget {
  constructor(private readonly _hygiene: INotebookHygiene) {
    super();
    this.addClass('jp-jupyterExt-trackToolbar');
    this.addClass('jp-ToolbarButton');
    _hygiene.changed.connect(this.update, this);
  }

  dispose(): void {
    this._hygiene.changed.disconnect(this.update, this);
    super.dispose();
  }

  protected render(): React.ReactElement {
    const tracking = this._hygiene.tracking;
    return (
      <ToolbarButtonComponent
        icon={hygieneIcon}
        label={tracking ? 'Tracking' : 'Track'}
        tooltip={
          tracking
            ? 'Stop tracking this notebook (jupyter-ext)'
            : 'Track this notebook: stale cells, out-of-order runs and lineage (jupyter-ext)'
        }
        pressed={tracking}
        onClick={() =>
          void (tracking ? this._hygiene.untrack() : this._hygiene.track())
        }
      />
    );
  }
}
