import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, ISessionContextDialogs } from '@jupyterlab/apputils';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import {
  INotebookModel,
  INotebookTracker,
  NotebookPanel
} from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Signal } from '@lumino/signaling';

import { DEFAULT_OPTIONS } from './connection/notebookConnection';
import { IHygieneTracker } from './tokens';
import { HygieneTracker } from './tracker';
import { TrackingMemory } from './trackingMemory';
import { VERSION } from './version';
import { HygieneActions } from './widgets/actions';
import { CellBadges } from './widgets/badges';
import { hygieneIcon } from './widgets/icons';
import { HygienePanel, PANEL_ID } from './widgets/panel';
import { HygieneStatus } from './widgets/statusItem';
import { TrackButton } from './widgets/trackButton';

export { IHygieneTracker } from './tokens';
export type { INotebookHygiene } from './tokens';

const PLUGIN_ID = 'jupyter-ext:plugin';
const CATEGORY = 'Notebook Hygiene';

namespace CommandIDs {
  export const toggle = 'jupyter-ext:toggle-tracking';
  export const openPanel = 'jupyter-ext:open-panel';
  export const runStale = 'jupyter-ext:run-stale';
}

/**
 * Tracking: one connection per notebook, the Track command and toolbar
 * button, the auto-track setting and the cell badges. Requires the notebook
 * tracker so that it only activates where notebooks can be opened.
 */
const trackerPlugin: JupyterFrontEndPlugin<IHygieneTracker> = {
  id: PLUGIN_ID,
  description:
    'Notebook hygiene and tracking: lineage, stale cells and out-of-order runs.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ISettingRegistry, ICommandPalette, IStateDB],
  provides: IHygieneTracker,
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    settings: ISettingRegistry | null,
    palette: ICommandPalette | null,
    state: IStateDB | null
  ): IHygieneTracker => {
    const tracker = new HygieneTracker(notebooks, new TrackingMemory(state));

    const badges = new Map<NotebookPanel, CellBadges>();
    const attach = (connection: ReturnType<HygieneTracker['ensure']>) => {
      if (badges.has(connection.panel)) {
        return;
      }
      const view = new CellBadges(connection);
      badges.set(connection.panel, view);
      connection.panel.disposed.connect(() => {
        badges.delete(connection.panel);
        view.dispose();
      });
    };
    tracker.added.connect((_, connection) => attach(connection));
    notebooks.forEach(panel => attach(tracker.ensure(panel)));

    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (
        panel: NotebookPanel,
        _context: DocumentRegistry.IContext<INotebookModel>
      ) => {
        const button = new TrackButton(tracker.ensure(panel));
        if (!panel.toolbar.insertAfter('cellType', 'jupyterExtTrack', button)) {
          panel.toolbar.addItem('jupyterExtTrack', button);
        }
        return button;
      }
    });

    app.commands.addCommand(CommandIDs.toggle, {
      label: 'Track this notebook',
      caption:
        'Load jupyter-ext in the notebook’s kernel to see stale cells, out-of-order runs and lineage',
      icon: args => (args.isPalette ? undefined : hygieneIcon),
      isEnabled: () => tracker.current !== null,
      isToggled: () => tracker.current?.tracking ?? false,
      execute: async () => {
        const current = tracker.current;
        if (current) {
          await (current.tracking ? current.untrack() : current.track());
        }
      }
    });
    tracker.changed.connect(() =>
      app.commands.notifyCommandChanged(CommandIDs.toggle)
    );
    tracker.currentChanged.connect(() =>
      app.commands.notifyCommandChanged(CommandIDs.toggle)
    );
    palette?.addItem({ command: CommandIDs.toggle, category: CATEGORY });

    if (settings) {
      const apply = (loaded: ISettingRegistry.ISettings) => {
        const composite = loaded.composite as {
          autoTrack?: boolean;
          snapshotDelay?: number;
          requestTimeout?: number;
        };
        tracker.configure(composite.autoTrack === true, {
          ...DEFAULT_OPTIONS,
          snapshotDelayMs:
            composite.snapshotDelay ?? DEFAULT_OPTIONS.snapshotDelayMs,
          requestTimeoutMs:
            (composite.requestTimeout ??
              DEFAULT_OPTIONS.requestTimeoutMs / 1000) * 1000
        });
      };
      settings
        .load(PLUGIN_ID)
        .then(loaded => {
          apply(loaded);
          loaded.changed.connect(apply);
        })
        .catch(reason => {
          console.warn('jupyter-ext: settings could not be loaded', reason);
          tracker.configure(false, DEFAULT_OPTIONS);
        });
    } else {
      tracker.configure(false, DEFAULT_OPTIONS);
    }

    console.log(`jupyter-ext: extension activated (version ${VERSION})`);
    return tracker;
  }
};

/** The sidebar panel, its commands and the status bar item. */
const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-ext:panel',
  description: 'The notebook hygiene sidebar panel and status bar item.',
  autoStart: true,
  requires: [IHygieneTracker],
  optional: [
    ILayoutRestorer,
    ISessionContextDialogs,
    IStatusBar,
    ICommandPalette
  ],
  activate: (
    app: JupyterFrontEnd,
    tracker: IHygieneTracker,
    restorer: ILayoutRestorer | null,
    dialogs: ISessionContextDialogs | null,
    statusBar: IStatusBar | null,
    palette: ICommandPalette | null
  ): void => {
    const actions = new HygieneActions(app, dialogs);
    const panel = new HygienePanel(tracker, actions);
    app.shell.add(panel, 'right', { rank: 650, type: 'Notebook Hygiene' });
    restorer?.add(panel, PANEL_ID);

    const open = () => app.shell.activateById(PANEL_ID);
    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Show Notebook Hygiene Panel',
      execute: open
    });
    app.commands.addCommand(CommandIDs.runStale, {
      label: 'Run Stale Cells in Order',
      isEnabled: () =>
        (tracker.current?.model.cellsWithKind('stale').length ?? 0) > 0,
      execute: async () => {
        const current = tracker.current;
        if (current) {
          await actions.runStaleInOrder(current);
        }
      }
    });
    tracker.changed.connect(() =>
      app.commands.notifyCommandChanged(CommandIDs.runStale)
    );
    palette?.addItem({ command: CommandIDs.openPanel, category: CATEGORY });
    palette?.addItem({ command: CommandIDs.runStale, category: CATEGORY });

    if (statusBar) {
      const item = new HygieneStatus(tracker, open);
      const activeChanged = new Signal<IHygieneTracker, void>(tracker);
      tracker.changed.connect(() => activeChanged.emit());
      tracker.currentChanged.connect(() => activeChanged.emit());
      statusBar.registerStatusItem('jupyter-ext:status', {
        item,
        align: 'left',
        rank: 5,
        isActive: () => tracker.current?.tracking ?? false,
        activeStateChanged: activeChanged
      });
    }
  }
};

export default [trackerPlugin, panelPlugin];
