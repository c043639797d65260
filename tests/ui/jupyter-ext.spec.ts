import { expect, test } from '@jupyterlab/galata';

import packageJson from '../../package.json';

const ACTIVATED = 'jupyter-ext: extension activated';

/** What the page's configuration says about this extension, and its plugin state. */
interface IExtensionInfo {
  federated: { name: string; extension?: string; style?: string } | null;
  disabled: boolean;
  pluginRegistered: boolean;
  pluginActivated: boolean;
}

test.describe('jupyter-ext in JupyterLab', () => {
  // Navigate inside each test, after the listeners are attached, so that
  // messages logged while the application starts are seen.
  test.use({ autoGoto: false });

  test('logs its activation once, with the packaged version', async ({
    page
  }) => {
    const logs: string[] = [];
    page.on('console', message => logs.push(message.text()));

    await page.goto();

    expect(logs.filter(text => text.startsWith(ACTIVATED))).toEqual([
      `${ACTIVATED} (version ${packageJson.version})`
    ]);
  });

  test('is installed as an enabled prebuilt extension whose plugin is active', async ({
    page
  }) => {
    const errors: string[] = [];
    page.on('pageerror', error => errors.push(String(error)));
    page.on('console', message => {
      if (message.type() === 'error') {
        errors.push(message.text());
      }
    });

    await page.goto();

    const info = await page.evaluate((): IExtensionInfo => {
      const element = document.getElementById('jupyter-config-data');
      const config = JSON.parse(element?.textContent ?? '{}');
      const federated = (config.federated_extensions ?? []).find(
        (extension: { name: string }) => extension.name === 'jupyter-ext'
      );
      const app = (window as any).jupyterapp;
      return {
        federated: federated ?? null,
        disabled: (config.disabledExtensions ?? []).some((id: string) =>
          id.startsWith('jupyter-ext')
        ),
        pluginRegistered: app.hasPlugin('jupyter-ext:plugin'),
        pluginActivated: app.isPluginActivated('jupyter-ext:plugin')
      };
    });

    expect(info.federated).toMatchObject({
      name: 'jupyter-ext',
      extension: './extension',
      style: './style'
    });
    expect(info.disabled).toBe(false);
    expect(info.pluginRegistered).toBe(true);
    expect(info.pluginActivated).toBe(true);
    expect(errors.filter(text => text.includes('jupyter-ext'))).toEqual([]);
  });
});
