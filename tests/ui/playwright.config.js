/**
 * Galata's defaults, run against the server that run.sh starts, in Debian's
 * Chromium: Playwright's own browser builds cannot be downloaded everywhere
 * this runs, so none is ever installed.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const targetURL = process.env.TARGET_URL;
if (!targetURL) {
  throw new Error(
    'TARGET_URL is not set: run the browser tests with tests/ui/run.sh'
  );
}

module.exports = {
  ...baseConfig,
  testDir: __dirname,
  outputDir: `${__dirname}/test-results`,
  reporter: [['list']],
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  use: {
    ...baseConfig.use,
    baseURL: targetURL,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    },
    // Recording video needs Playwright's ffmpeg download.
    video: 'off',
    trace: 'off'
  }
};
