import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';

import { VERSION } from './version';

/**
 * Requires the notebook tracker so that it only activates where notebooks can
 * be opened: everything this extension shows is about a notebook.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-ext:plugin',
  description:
    'Notebook hygiene and tracking: lineage, stale cells and out-of-order runs.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, _notebooks: INotebookTracker): void => {
    console.log(`jupyter-ext: extension activated (version ${VERSION})`);
  }
};

export default [plugin];
