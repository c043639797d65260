/**
 * The sidebar panel: a header with the active notebook's tracking status and
 * the Track button, then one tab per view. It follows the active notebook;
 * each tab renders only that notebook's hygiene.
 */

import { Button, ReactWidget } from '@jupyterlab/ui-components';
import { Panel } from '@lumino/widgets';
import * as React from 'react';

import type { IHygieneTracker, INotebookHygiene } from '../tokens';
import type { HygieneActions } from './actions';
import { hygieneIcon } from './icons';
import { LineageTab } from './lineageTab';
import { RunTab } from './runTab';
import { HygieneTab, IPanelServices } from './tab';
import { TimelineTab } from './timelineTab';
import { VariablesTab } from './variablesTab';
import { WarningsTab } from './warningsTab';

export const PANEL_ID = 'jupyter-ext-panel';

class PanelHeader extends ReactWidget {
  constructor() {
    super();
    this.addClass('jp-jupyterExt-header');
  }

  hygiene: INotebookHygiene | null = null;
  notice = '';

  protected render(): React.ReactElement {
    const hygiene = this.hygiene;
    if (hygiene === null) {
      return <p className="jp-jupyterExt-status">No notebook is active.</p>;
    }
    const model = hygiene.model;
    const phase = model.phase;
    const problem = ![
      'connected',
      'untracked',
      'loading',
      'connecting'
    ].includes(phase);
    const name = hygiene.panel.context.localPath.split('/').pop() ?? '';
    return (
      <>
        <div className="jp-jupyterExt-headerRow">
          <span
            className="jp-jupyterExt-notebook"
            title={hygiene.panel.context.localPath}
          >
            {name}
          </span>
          <Button
            small
            className="jp-jupyterExt-trackButton"
            aria-pressed={hygiene.tracking}
            title={
              hygiene.tracking
                ? 'Stop recording this notebook in its kernel'
                : 'Load jupyter-ext in this notebook’s kernel and show its hygiene'
            }
            onClick={() =>
              void (hygiene.tracking ? hygiene.untrack() : hygiene.track())
            }
          >
            {hygiene.tracking
              ? problem
                ? 'Retry'
                : 'Stop tracking'
              : 'Track this notebook'}
          </Button>
          {hygiene.tracking && problem && (
            <Button
              small
              minimal
              title="Stop trying to track this notebook"
              onClick={() => void hygiene.untrack()}
            >
              Stop
            </Button>
          )}
        </div>
        <p
          className={`jp-jupyterExt-status jp-jupyterExt-phase-${phase}`}
          role={problem ? 'alert' : 'status'}
          data-phase={phase}
          data-tracking-decided={hygiene.trackingDecided ? 'true' : 'false'}
        >
          {phase === 'connected'
            ? `Tracking with jupyter-ext ${model.hello?.version ?? ''} in the kernel.`
            : model.status.detail}
        </p>
        {model.rejected > 0 && (
          <p className="jp-jupyterExt-note">
            {`${model.rejected} malformed message${model.rejected === 1 ? '' : 's'} from the kernel ignored (last: ${model.lastRejection ?? ''}).`}
          </p>
        )}
        {this.notice && (
          <p className="jp-jupyterExt-note" role="status">
            {this.notice}
          </p>
        )}
      </>
    );
  }
}

/**
 * The tab strip. Tabs are plain widgets shown one at a time in a flowing
 * panel rather than a Lumino TabPanel: its absolute layout would need a fixed
 * height, and the header above grows with the messages it shows.
 */
class TabStrip extends ReactWidget {
  constructor(
    private readonly _tabs: HygieneTab[],
    private readonly _select: (tab: HygieneTab) => void
  ) {
    super();
    this.addClass('jp-jupyterExt-tabStrip');
  }

  current: HygieneTab | null = null;

  protected render(): React.ReactElement {
    return (
      <div
        role="tablist"
        aria-label="Hygiene views"
        onKeyDown={event => {
          const index = this._tabs.indexOf(this.current as HygieneTab);
          const step =
            event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
          if (step !== 0 && index >= 0) {
            event.preventDefault();
            const next =
              this._tabs[
                (index + step + this._tabs.length) % this._tabs.length
              ];
            this._select(next);
            (
              this.node.querySelector(
                `[data-tab="${next.title.label}"]`
              ) as HTMLElement | null
            )?.focus();
          }
        }}
      >
        {this._tabs.map(tab => (
          <button
            key={tab.title.label}
            role="tab"
            id={`${tab.id}-tab`}
            data-tab={tab.title.label}
            aria-selected={tab === this.current}
            aria-controls={tab.id}
            tabIndex={tab === this.current ? 0 : -1}
            className={`jp-jupyterExt-tabButton${tab === this.current ? ' jp-mod-current' : ''}`}
            onClick={() => this._select(tab)}
          >
            {tab.title.label}
          </button>
        ))}
      </div>
    );
  }
}

export class HygienePanel extends Panel {
  constructor(
    private readonly _tracker: IHygieneTracker,
    actions: HygieneActions
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-jupyterExt-panel');
    this.title.icon = hygieneIcon;
    this.title.caption = 'Notebook hygiene';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Notebook hygiene');

    const services: IPanelServices = {
      actions,
      showLineage: name => {
        this._show(this._lineage);
        this._lineage.showName(name);
      },
      notify: message => {
        this._header.notice = message;
        this._header.update();
      }
    };
    this._header = new PanelHeader();
    this._lineage = new LineageTab(services);
    this._tabList = [
      new WarningsTab(services),
      this._lineage,
      new TimelineTab(services),
      new VariablesTab(services),
      new RunTab(services)
    ];
    this._tabs = new Panel();
    this._tabs.addClass('jp-jupyterExt-tabs');
    this._strip = new TabStrip(this._tabList, tab => this._show(tab));
    for (const tab of this._tabList) {
      tab.id = tab.id || `jp-jupyterExt-${tab.title.label.toLowerCase()}`;
      tab.node.setAttribute('role', 'tabpanel');
      tab.node.setAttribute('aria-labelledby', `${tab.id}-tab`);
      tab.hide();
      this._tabs.addWidget(tab);
    }
    this.addWidget(this._header);
    this.addWidget(this._strip);
    this.addWidget(this._tabs);
    this._show(this._tabList[0]);

    _tracker.currentChanged.connect(this._follow, this);
    this._follow();
  }

  /** The tab showing `label`, for tests and commands. */
  selectTab(label: string): void {
    const tab = this._tabList.find(item => item.title.label === label);
    if (tab) {
      this._show(tab);
    }
  }

  private _show(tab: HygieneTab): void {
    for (const other of this._tabList) {
      if (other !== tab) {
        other.hide();
      }
    }
    tab.show();
    this._strip.current = tab;
    this._strip.update();
  }

  dispose(): void {
    this._tracker.currentChanged.disconnect(this._follow, this);
    this._hygiene?.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  private _follow(): void {
    const hygiene = this._tracker.current;
    if (hygiene === this._hygiene) {
      return;
    }
    this._hygiene?.changed.disconnect(this._onChanged, this);
    this._hygiene = hygiene;
    hygiene?.changed.connect(this._onChanged, this);
    this._header.hygiene = hygiene;
    this._header.notice = '';
    this._header.update();
    this._tabList.forEach(tab => tab.setHygiene(hygiene));
  }

  private _onChanged(): void {
    this._header.update();
  }

  private _hygiene: INotebookHygiene | null = null;
  private readonly _header: PanelHeader;
  private readonly _lineage: LineageTab;
  private readonly _tabList: HygieneTab[];
  private readonly _tabs: Panel;
  private readonly _strip: TabStrip;
}
