import { expect, test } from '@jupyterlab/galata';

import {
  allowKernelActions,
  cellIds,
  cellOutput,
  collectErrors,
  executionCounts,
  runCells,
  setCells,
  track
} from './helpers';

/** The fixes offered with the warnings, clicked as a user clicks them. */
test.describe('fix actions', () => {
  test.beforeEach(async ({ page }) => {
    await allowKernelActions(page);
  });

  test('"Run stale cells in order" re-runs exactly the stale cells', async ({
    page
  }) => {
    const errors = collectErrors(page);
    await page.notebook.createNew('stale.ipynb');
    await setCells(page, [
      'x = [1, 2, 3]',
      'x.append(4)',
      'total = sum(x)',
      'y = 1'
    ]);
    const ids = await cellIds(page);
    const panel = await track(page);
    // `total` is computed before the cell above it appends to `x`.
    await runCells(page, [0, 2, 1, 3]);
    const stale = panel.locator('.jp-jupyterExt-warning[data-kind="stale"]');
    await expect(stale).toHaveCount(1);
    await expect(stale).toHaveAttribute('data-cell-id', ids[2]);

    await panel
      .getByRole('button', { name: 'Run stale cells in order' })
      .click();

    await expect(panel.locator('.jp-jupyterExt-warning')).toHaveCount(0);
    // Only the stale cell ran again: it has the next prompt number.
    await expect.poll(() => executionCounts(page)).toEqual([1, 3, 5, 4]);
    await page.notebook.setCell(3, 'code', 'print(total)');
    await page.notebook.runCell(3, true);
    expect(await cellOutput(page, 3)).toBe('10');
    expect(errors).toEqual([]);
  });

  test('"Run upstream of this cell" runs its inputs, then it, in document order', async ({
    page
  }) => {
    const errors = collectErrors(page);
    await page.notebook.createNew('upstream.ipynb');
    await setCells(page, [
      'a = 1',
      'b = a + 1',
      'unrelated = 0',
      'c = a + b\nprint(c)'
    ]);
    const ids = await cellIds(page);
    const panel = await track(page);
    await runCells(page, [0, 1, 2, 3]);
    expect(await cellOutput(page, 3)).toBe('3');
    await page.notebook.setCell(0, 'code', 'a = 5');
    await page.notebook.runCell(0, true);
    const warning = panel.locator(
      `.jp-jupyterExt-warning[data-kind="stale"][data-cell-id="${ids[3]}"]`
    );
    await expect(warning).toHaveCount(1);

    await warning
      .getByRole('button', { name: 'Run upstream of this cell' })
      .click();

    // a (already current, re-run as the top of the chain), b, then c; the
    // unrelated cell is left alone.
    await expect.poll(() => executionCounts(page)).toEqual([6, 7, 3, 8]);
    await expect(panel.locator('.jp-jupyterExt-warning')).toHaveCount(0);
    expect(await cellOutput(page, 3)).toBe('11');
    expect(errors).toEqual([]);
  });

  test('"Restart and run all up to here" restarts, runs from the top and keeps tracking', async ({
    page
  }) => {
    const errors = collectErrors(page);
    await page.notebook.createNew('restart-run.ipynb');
    await setCells(page, [
      'import os\nprint(os.getpid())',
      'x = 1',
      'x += 1',
      'print(x)',
      'print("not reached")'
    ]);
    const ids = await cellIds(page);
    const panel = await track(page);
    await runCells(page, [0, 1, 2, 3, 2]);
    const pidBefore = await cellOutput(page, 0);
    const warning = panel.locator(
      `.jp-jupyterExt-warning[data-kind="stale"][data-cell-id="${ids[3]}"]`
    );
    await expect(warning).toHaveCount(1);

    await warning
      .getByRole('button', { name: 'Restart and run all up to here' })
      .click();
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Restart and run', exact: true })
      .click();

    await expect
      .poll(() => executionCounts(page), { timeout: 30000 })
      .toEqual([1, 2, 3, 4, null]);
    expect(await cellOutput(page, 3)).toBe('2');
    expect(await cellOutput(page, 0)).not.toBe(pidBefore);
    const status = panel.locator('.jp-jupyterExt-status');
    await expect(status).toHaveAttribute('data-phase', 'connected');
    await expect(panel.locator('.jp-jupyterExt-warning')).toHaveCount(0);
    // The new kernel tracks: running a cell out of order is flagged again.
    await page.notebook.runCell(2, true);
    await expect(
      panel.locator(
        `.jp-jupyterExt-warning[data-kind="stale"][data-cell-id="${ids[3]}"]`
      )
    ).toHaveCount(1);
    expect(errors).toEqual([]);
  });
});
