import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { ConsoleMessage, Locator } from '@playwright/test';

export const PANEL = '#jupyter-ext-panel';

/** Replace the new notebook's cells with `sources` (code cells). */
export async function setCells(
  page: IJupyterLabPageFixture,
  sources: string[]
): Promise<void> {
  await page.evaluate(sources => {
    const app = (window as any).jupyterapp;
    const panel = app.shell.currentWidget;
    const shared = panel.content.model.sharedModel;
    shared.transact(() => {
      shared.deleteCellRange(0, shared.cells.length);
      shared.insertCells(
        0,
        sources.map((source: string) => ({
          cell_type: 'code',
          source,
          metadata: {}
        }))
      );
    });
  }, sources);
  // Count the model's cells: a long notebook renders only what is in view.
  await expect
    .poll(() =>
      page.evaluate(
        () =>
          (window as any).jupyterapp.shell.currentWidget.content.widgets.length
      )
    )
    .toBe(sources.length);
}

/** The nbformat ids of the active notebook's cells, in document order. */
export async function cellIds(page: IJupyterLabPageFixture): Promise<string[]> {
  return page.evaluate(() => {
    const app = (window as any).jupyterapp;
    return app.shell.currentWidget.content.widgets.map(
      (cell: any) => cell.model.id
    );
  });
}

export async function activeCellIndex(
  page: IJupyterLabPageFixture
): Promise<number> {
  return page.evaluate(
    () => (window as any).jupyterapp.shell.currentWidget.content.activeCellIndex
  );
}

/** Run cells one after the other, in the order given, waiting for each. */
export async function runCells(
  page: IJupyterLabPageFixture,
  indices: number[]
): Promise<void> {
  for (const index of indices) {
    await page.notebook.runCell(index, true);
  }
}

/**
 * Close the active notebook, `name`, and wait until its tab is gone: a
 * notebook opened again while the old tab is still closing would only
 * reveal that tab.
 */
export async function closeNotebook(
  page: IJupyterLabPageFixture,
  name: string
): Promise<void> {
  expect(await page.notebook.close()).toBe(true);
  await expect(page.activity.getTabLocator(name)).toHaveCount(0);
}

/** Open `name` from the file browser and wait until it is the active notebook. */
export async function openNotebook(
  page: IJupyterLabPageFixture,
  name: string
): Promise<void> {
  expect(await page.notebook.open(name)).toBe(true);
  await expect
    .poll(() =>
      page.evaluate(() => {
        const path: string | undefined = (window as any).jupyterapp.shell
          .currentWidget?.context?.localPath;
        return path?.split('/').pop() ?? null;
      })
    )
    .toBe(name);
}

export async function openPanel(
  page: IJupyterLabPageFixture
): Promise<Locator> {
  await page.sidebar.openTab('jupyter-ext-panel');
  const panel = page.locator(PANEL);
  await expect(panel).toBeVisible();
  return panel;
}

/** Click the notebook toolbar's Track button and open the panel, whatever follows. */
export async function clickTrack(
  page: IJupyterLabPageFixture
): Promise<Locator> {
  await page
    .locator('.jp-NotebookPanel-toolbar .jp-jupyterExt-trackToolbar')
    .getByRole('button')
    .click();
  return openPanel(page);
}

/** Click the notebook toolbar's Track button and wait for the kernel's hello. */
export async function track(page: IJupyterLabPageFixture): Promise<Locator> {
  const panel = await clickTrack(page);
  await expect(panel.locator('.jp-jupyterExt-status')).toHaveAttribute(
    'data-phase',
    'connected',
    { timeout: 30000 }
  );
  return panel;
}

export async function showTab(panel: Locator, label: string): Promise<Locator> {
  await panel.getByRole('tab', { name: label }).click();
  const tab = panel.locator('[role="tabpanel"]:visible');
  await expect(tab).toHaveCount(1);
  return tab;
}

/**
 * Errors JupyterLab itself logs when a notebook closes while its debugger
 * handshake is still pending; they come and go with timing and say nothing
 * about this extension.
 */
const JUPYTERLAB_NOISE = [/^Could not restore the debugger state/];

/**
 * The server's answer to JupyterLab's poll of the kernel list while a kernel
 * is starting: jupyter_server lists a kernel before it sets its
 * `last_activity` (TraitError, "500 GET /api/kernels" in its log), a window
 * that widens when the machine is busy. JupyterLab polls again; this
 * extension never asks for that list.
 */
function isKernelListRace(message: ConsoleMessage): boolean {
  return (
    message
      .text()
      .startsWith(
        'Failed to load resource: the server responded with a status of 500'
      ) && /\/api\/kernels(\?|$)/.test(message.location().url)
  );
}

/** Errors thrown in the page or logged as errors, to assert there are none. */
export function collectErrors(page: IJupyterLabPageFixture): string[] {
  const errors: string[] = [];
  page.on('pageerror', error => errors.push(String(error)));
  page.on('console', message => {
    const text = message.text();
    if (
      message.type() === 'error' &&
      !JUPYTERLAB_NOISE.some(pattern => pattern.test(text)) &&
      !isKernelListRace(message)
    ) {
      errors.push(text);
    }
  });
  return errors;
}

/**
 * Let kernel restarts and interrupts reach the server untouched. galata's
 * kernel tracker routes every POST under /api/kernels, answers it with
 * "201 Created", and JupyterLab's restart, which expects 200, then never
 * reconnects; a route added later takes precedence and goes straight out.
 */
export async function allowKernelActions(
  page: IJupyterLabPageFixture
): Promise<void> {
  await page.route(/\/api\/kernels\/[^/?]+\/(restart|interrupt)(\?|$)/, route =>
    route.continue()
  );
}

/** The text of a cell's first stream output, once there is one. */
export async function cellOutput(
  page: IJupyterLabPageFixture,
  index: number
): Promise<string> {
  const output = page
    .locator('.jp-Notebook .jp-Cell')
    .nth(index)
    .locator('.jp-OutputArea-output');
  await expect(output.first()).toBeVisible();
  return (await output.first().innerText()).trim();
}

/** The prompt numbers of the active notebook's code cells, null where unset. */
export async function executionCounts(
  page: IJupyterLabPageFixture
): Promise<(number | null)[]> {
  return page.evaluate(() =>
    (window as any).jupyterapp.shell.currentWidget.content.widgets.map(
      (cell: any) => cell.model.executionCount ?? null
    )
  );
}
