import { expect, test } from '@jupyterlab/galata';

import {
  activeCellIndex,
  cellIds,
  collectErrors,
  runCells,
  setCells,
  track
} from './helpers';

test.describe('hygiene panel, badges and status bar', () => {
  test('shows stale and out-of-order cells, and takes the user to them', async ({
    page
  }) => {
    const errors = collectErrors(page);
    await page.notebook.createNew('messy.ipynb');
    await setCells(page, [
      'x = [1, 2, 3]',
      'total = sum(x)',
      'x.append(4)',
      'print(rate)',
      'rate = 0.05'
    ]);
    const ids = await cellIds(page);
    const panel = await track(page);

    // In order, then a mutation of `x` after `total` read it, then a cell
    // that reads `rate` before the cell below that defines it.
    await runCells(page, [0, 1, 2, 4, 3]);

    const warnings = panel.locator('.jp-jupyterExt-warning');
    const stale = panel.locator(
      `.jp-jupyterExt-warning[data-kind="stale"][data-cell-id="${ids[1]}"]`
    );
    const outOfOrder = panel.locator(
      `.jp-jupyterExt-warning[data-kind="out_of_order"][data-cell-id="${ids[3]}"]`
    );
    await expect(stale).toHaveCount(1);
    await expect(outOfOrder).toHaveCount(1);
    await expect(stale).toContainText('cell 2 [2]');
    await expect(stale).toContainText('x');
    await expect(outOfOrder).toContainText('cell 4 [5]');
    // Cells that depend on nothing that changed are not flagged.
    await expect(
      panel.locator(`.jp-jupyterExt-warning[data-cell-id="${ids[0]}"]`)
    ).toHaveCount(0);

    // Badges with the reason as tooltip.
    const badge = (index: number) =>
      page
        .locator('.jp-Notebook .jp-Cell')
        .nth(index)
        .locator('.jp-jupyterExt-badge');
    await expect(badge(1)).toHaveText('stale');
    await expect(badge(1)).toHaveAttribute('title', /Stale: .*x/);
    await expect(badge(3)).toContainText('out of order');
    // The whole label shows in the prompt column, not cut off.
    expect(
      await badge(3).evaluate(
        (node: HTMLElement) =>
          node.scrollWidth <= node.clientWidth &&
          node.scrollHeight <= node.clientHeight
      )
    ).toBe(true);
    await expect(badge(0)).toHaveCount(0);
    await expect(badge(2)).toHaveCount(0);

    // Status bar count equals the number of warnings listed.
    const count = await warnings.count();
    await expect(page.locator('.jp-jupyterExt-statusButton')).toHaveText(
      `Hygiene: ${count} warnings`
    );

    // Click-to-cell.
    await page.notebook.selectCells(0);
    await stale.locator('.jp-jupyterExt-warningMain').click();
    await expect.poll(() => activeCellIndex(page)).toBe(1);
    await outOfOrder.locator('.jp-jupyterExt-warningMain').click();
    await expect.poll(() => activeCellIndex(page)).toBe(3);

    // Re-running the stale cell clears that warning; it now reads `x` as
    // last changed by the cell below it, which is out of order.
    await page.notebook.runCell(1, true);
    await expect(stale).toHaveCount(0);
    await expect(badge(1)).toHaveText('out of order');

    // Editing a cell that ran marks it edited once the edit is sent.
    await page.notebook.setCell(0, 'code', 'x = [1, 2, 3, 5]');
    await expect(
      panel.locator(
        `.jp-jupyterExt-warning[data-kind="edited"][data-cell-id="${ids[0]}"]`
      )
    ).toHaveCount(1);
    await expect(badge(0)).toContainText('edited');

    expect(errors).toEqual([]);
  });
});
