import { expect, galata, test } from '@jupyterlab/galata';

import {
  allowKernelActions,
  clickTrack,
  cellIds,
  cellOutput,
  closeNotebook,
  collectErrors,
  openNotebook,
  openPanel,
  PANEL,
  runCells,
  setCells,
  showTab,
  track
} from './helpers';

const PAYLOAD = '<img src=x onerror="window.__pwned=1">';

test.describe('kernel strings are text, never markup', () => {
  test('an injection payload in values, names, types and kernel messages executes nothing', async ({
    page
  }) => {
    const errors = collectErrors(page);
    await page.notebook.createNew('inject.ipynb');
    await setCells(page, ['placeholder']);
    const [first] = await cellIds(page);
    await setCells(page, [
      `payload = '${PAYLOAD}<script>window.__pwned=2</script>'`,
      "Evil = type('<img src=x onerror=window.__pwned=3>', (), {})\nobj = Evil()",
      "globals()['<img src=x onerror=window.__pwned=4>'] = payload",
      "used = payload + '!'",
      'payload = payload * 2',
      // A kernel can write anything to the comm: push a hostile state after
      // this cell's own state, and a malformed one.
      [
        'import threading',
        '_p = \'<img src=x onerror="window.__pwned=5">\'',
        '_state = {"type": "state", "protocol": 1, "notebook_seq": None,',
        '  "warnings": [',
        '    {"kind": "stale", "code": _p, "severity": _p, "cell_id": _p, "names": [_p], "message": _p},',
        `    {"kind": "edited", "code": "X", "severity": "warning", "cell_id": ${JSON.stringify(first)}, "names": [_p], "message": _p + "<b>bold</b>"},`,
        '    {"kind": _p, "code": "X", "severity": "x", "cell_id": None, "names": [], "message": _p}],',
        '  "cells": {_p: {"status": "ok", "execution_count": 1, "seq": 1}}}',
        '_ch = get_ipython()._jupyter_ext_comm',
        'def _send():',
        '    _ch._push({"type": "state", "warnings": _p})',
        '    _ch._push(_state)',
        'threading.Timer(1.0, _send).start()'
      ].join('\n')
    ]);
    // The ids were replaced with the cells: point the hostile warning at the new first cell.
    const ids = await cellIds(page);
    await page.evaluate(
      ([oldId, newId]) => {
        const cell = (window as any).jupyterapp.shell.currentWidget.content
          .widgets[5];
        const source: string = cell.model.sharedModel.getSource();
        cell.model.sharedModel.setSource(source.replace(oldId, newId));
      },
      [first, ids[0]]
    );
    const panel = await track(page);
    await runCells(page, [0, 1, 2, 3, 4, 5]);

    await expect(panel.locator('.jp-jupyterExt-warningList')).toContainText(
      'window.__pwned=5',
      { timeout: 15000 }
    );
    await expect(panel).toContainText('<img src=x onerror="window.__pwned=5">');
    await expect(panel).toContainText('malformed message');
    await expect(panel).toContainText(
      'kinds this version of the panel does not know'
    );
    const badge = page
      .locator('.jp-Notebook .jp-Cell')
      .nth(0)
      .locator('.jp-jupyterExt-badge');
    await expect(badge).toHaveAttribute('title', /<b>bold<\/b>/);

    // The kernel's own data: the type name and the odd global in Variables.
    const variables = await showTab(panel, 'Variables');
    await expect(variables.locator('table')).toBeVisible({ timeout: 15000 });
    await expect(variables).toContainText('window.__pwned=3');
    const lineage = await showTab(panel, 'Lineage');
    await expect(lineage.locator('svg.jp-jupyterExt-graph')).toBeVisible();
    await showTab(panel, 'Timeline');
    await showTab(panel, 'Run');
    await showTab(panel, 'Warnings');

    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    expect(
      await page.locator(`${PANEL} img, ${PANEL} script, ${PANEL} b`).count()
    ).toBe(0);
    expect(await page.locator('.jp-jupyterExt-badge *').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});

test.describe('kernel messages the panel must survive', () => {
  test('oversized and malformed messages are dropped with a console warning', async ({
    page
  }) => {
    const errors = collectErrors(page);
    const warnings: string[] = [];
    page.on('console', message => {
      if (message.type() === 'warning') {
        warnings.push(message.text());
      }
    });
    await page.notebook.createNew('oversized.ipynb');
    await setCells(page, [
      [
        '_ch = get_ipython()._jupyter_ext_comm',
        '_big = {"type": "state", "protocol": 1, "notebook_seq": None, "cells": {},',
        '  "warnings": [{"kind": "stale", "code": "JX101", "severity": "warning",',
        '    "cell_id": None, "names": ["x"], "message": "x" * (17 * 1024 * 1024)}]}',
        '_ch._push(_big)',
        '_ch._push({"type": "state", "warnings": 3})',
        '_ch._push({"type": 7})'
      ].join('\n'),
      'x = [1]',
      'y = len(x)',
      'x.append(2)'
    ]);
    const ids = await cellIds(page);
    const panel = await track(page);
    await runCells(page, [0]);
    await expect(panel).toContainText('3 malformed messages', {
      timeout: 15000
    });
    const dropped = warnings.filter(text =>
      text.startsWith('jupyter-ext: dropped a message from the kernel')
    );
    expect(dropped).toHaveLength(3);
    expect(dropped[0]).toContain('oversized message');

    // Still tracking: a mutation after a read makes the reader stale.
    await runCells(page, [1, 2, 3]);
    await expect(
      panel.locator(
        `.jp-jupyterExt-warning[data-kind="stale"][data-cell-id="${ids[2]}"]`
      )
    ).toHaveCount(1);
    await expect(panel.locator('.jp-jupyterExt-status')).toHaveAttribute(
      'data-phase',
      'connected'
    );
    expect(errors).toEqual([]);
  });

  test('paths and error texts from the kernel render as text', async ({
    page
  }) => {
    const errors = collectErrors(page);
    const name = '<img src=x onerror=window.__pwned=7>.ipynb';
    await page.notebook.createNew(name);
    // A kernel whose jupyter_ext fails to load with markup in its error.
    await setCells(page, [
      [
        'import sys, types',
        "_m = types.ModuleType('jupyter_ext')",
        'def _load(ip):',
        '    raise RuntimeError(\'<img src=x onerror="window.__pwned=8"><b>boom</b>\')',
        '_m.load_ipython_extension = _load',
        "sys.modules['jupyter_ext'] = _m"
      ].join('\n')
    ]);
    await runCells(page, [0]);
    const panel = await clickTrack(page);
    const status = panel.locator('.jp-jupyterExt-status');
    await expect(status).toHaveAttribute('data-phase', 'load-failed', {
      timeout: 30000
    });
    await expect(status).toContainText(
      'RuntimeError: <img src=x onerror="window.__pwned=8"><b>boom</b>'
    );
    await expect(panel).toContainText(name);
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    expect(
      await page.locator(`${PANEL} img, ${PANEL} script, ${PANEL} b`).count()
    ).toBe(0);
    expect(errors).toEqual([]);
  });
});

test.describe('kernels that cannot be tracked', () => {
  test('a kernel without jupyter-ext says how to install it and keeps working', async ({
    page
  }) => {
    const errors = collectErrors(page);
    await page.notebook.createNew('missing.ipynb');
    // Make the package unimportable in this kernel only.
    await setCells(page, [
      [
        'import sys',
        'class _Absent:',
        '    def find_spec(self, name, path=None, target=None):',
        "        if name.split('.')[0] == 'jupyter_ext':",
        '            raise ModuleNotFoundError(f"No module named {name!r}", name=name)',
        'sys.meta_path.insert(0, _Absent())'
      ].join('\n'),
      '6 * 7'
    ]);
    await page.notebook.runCell(0, true);
    const panel = await clickTrack(page);
    const status = panel.locator('.jp-jupyterExt-status');
    await expect(status).toHaveAttribute('data-phase', 'not-installed', {
      timeout: 30000
    });
    await expect(status).toContainText(
      "pip install jupyter-ext in this kernel's environment"
    );
    await expect(status).toHaveAttribute('role', 'alert');
    await page.notebook.runCell(1, true);
    expect(await page.notebook.getCellTextOutput(1)).toEqual(['42']);
    expect(errors).toEqual([]);
  });

  test('an old kernel side is named, with the fix', async ({ page }) => {
    const errors = collectErrors(page);
    await page.notebook.createNew('old.ipynb');
    await setCells(page, [
      [
        "get_ipython().extension_manager.load_extension('jupyter_ext')",
        'def _old(comm, msg):',
        '    comm.send({"type": "hello", "protocol": 0, "version": "0.0.1"})',
        "get_ipython().kernel.comm_manager.register_target('jupyter_ext', _old)"
      ].join('\n')
    ]);
    await page.notebook.runCell(0, true);
    const panel = await clickTrack(page);
    const status = panel.locator('.jp-jupyterExt-status');
    await expect(status).toHaveAttribute('data-phase', 'incompatible', {
      timeout: 30000
    });
    await expect(status).toContainText('jupyter-ext 0.0.1 (protocol 0)');
    await expect(status).toContainText('pip install -U jupyter-ext');
    expect(errors).toEqual([]);
  });

  test('a restart drops the warnings, says so, and tracking comes back', async ({
    page
  }) => {
    await allowKernelActions(page);
    const errors = collectErrors(page);
    await page.notebook.createNew('restart.ipynb');
    await setCells(page, ['a = 1', 'b = a + 1', 'a = 2']);
    const ids = await cellIds(page);
    const panel = await track(page);
    const status = panel.locator('.jp-jupyterExt-status');
    await runCells(page, [0, 1, 2]);
    await expect(panel.locator('.jp-jupyterExt-warning')).not.toHaveCount(0);

    const phases = await page.evaluate(async () => {
      const panel = (window as any).jupyterapp.shell.currentWidget;
      const seen: string[] = [];
      const node = document.querySelector('.jp-jupyterExt-status');
      // Until the panel shows "restarting", or shows "connected" again
      // without having shown it (then the assertion below fails).
      let settle = () => {};
      const settled = new Promise<void>(resolve => (settle = resolve));
      const observer = new MutationObserver(() => {
        const phase = node?.getAttribute('data-phase') ?? '';
        seen.push(phase);
        if (
          phase === 'restarting' ||
          (phase === 'connected' && seen.some(p => p !== 'connected'))
        ) {
          settle();
        }
      });
      if (node) {
        observer.observe(node, { attributes: true });
      }
      await panel.sessionContext.restartKernel();
      await settled;
      observer.disconnect();
      return seen;
    });
    // The panel said the kernel was restarting, and dropped its warnings.
    expect(phases).toContain('restarting');
    await expect(status).toHaveAttribute('data-phase', 'connected', {
      timeout: 30000
    });
    await expect(panel.locator('.jp-jupyterExt-warning')).toHaveCount(0);
    await expect(
      page.locator('.jp-Notebook .jp-Cell .jp-jupyterExt-badge')
    ).toHaveCount(0);

    // The new kernel records, and knows the document order again: reading `a`
    // from the cell below is out of order.
    await runCells(page, [2, 1]);
    await expect(
      panel.locator(
        `.jp-jupyterExt-warning[data-kind="out_of_order"][data-cell-id="${ids[1]}"]`
      )
    ).toHaveCount(1);
    expect(errors).toEqual([]);
  });

  test('a change of kernel keeps the notebook tracked', async ({ page }) => {
    await allowKernelActions(page);
    const errors = collectErrors(page);
    await page.notebook.createNew('change.ipynb');
    await setCells(page, ['import os\nprint(os.getpid())', 'x = 1', 'y = x']);
    const ids = await cellIds(page);
    const panel = await track(page);
    await runCells(page, [0]);
    const pidBefore = await cellOutput(page, 0);

    await page.evaluate(async () => {
      const panel = (window as any).jupyterapp.shell.currentWidget;
      await panel.sessionContext.changeKernel({ name: 'python3' });
    });
    await expect(panel.locator('.jp-jupyterExt-status')).toHaveAttribute(
      'data-phase',
      'connected',
      { timeout: 30000 }
    );
    await runCells(page, [0, 1, 2]);
    expect(await cellOutput(page, 0)).not.toBe(pidBefore);
    await expect(panel.locator('.jp-jupyterExt-warning')).toHaveCount(0);
    // The new kernel records: changing `x` makes the cell that read it stale.
    await page.notebook.setCell(1, 'code', 'x = 2');
    await page.notebook.runCell(1, true);
    await expect(
      panel.locator(
        `.jp-jupyterExt-warning[data-kind="stale"][data-cell-id="${ids[2]}"]`
      )
    ).toHaveCount(1);
    expect(errors).toEqual([]);
  });
});

test.describe('auto-track setting', () => {
  test.use({
    mockSettings: {
      ...galata.DEFAULT_SETTINGS,
      'jupyter-ext:plugin': { autoTrack: true }
    }
  });

  test('tracks a new notebook without asking', async ({ page }) => {
    await page.notebook.createNew('auto.ipynb');
    const panel = await openPanel(page);
    await expect(panel.locator('.jp-jupyterExt-status')).toHaveAttribute(
      'data-phase',
      'connected',
      { timeout: 30000 }
    );
    await expect(page.locator('.jp-jupyterExt-trackToolbar')).toContainText(
      'Tracking'
    );
  });
});

test.describe('tracking choices', () => {
  test('a notebook the user tracked is tracked again when reopened, until untracked', async ({
    page
  }) => {
    const errors = collectErrors(page);
    const name = 'remembered.ipynb';
    await page.notebook.createNew(name);
    await setCells(page, ['a = 1']);
    await track(page);
    await page.notebook.save();
    await closeNotebook(page, name);

    await openNotebook(page, name);
    const panel = await openPanel(page);
    const status = panel.locator('.jp-jupyterExt-status');
    const button = panel.locator('.jp-jupyterExt-trackButton');
    await expect(status).toHaveAttribute('data-phase', 'connected', {
      timeout: 30000
    });
    await expect(status).toHaveAttribute('data-tracking-decided', 'true');

    // Untracking is remembered too: reopened, the notebook stays untracked.
    await panel.getByRole('button', { name: 'Stop tracking' }).click();
    await expect(status).toHaveAttribute('data-phase', 'untracked');
    await closeNotebook(page, name);
    await expect(status).toHaveText('No notebook is active.');
    await openNotebook(page, name);
    // Once the settings and the remembered choice are applied to the reopened
    // notebook, whether it is tracked is final: it is not, and never was.
    await expect(status).toHaveAttribute('data-tracking-decided', 'true', {
      timeout: 30000
    });
    await expect(button).toHaveAttribute('aria-pressed', 'false');
    await expect(status).toHaveAttribute('data-phase', 'untracked');
    expect(errors).toEqual([]);
  });
});
