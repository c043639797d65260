import { describe, expect, it } from '@jest/globals';

import packageJson from '../../package.json';
import { VERSION } from '../version';

describe('VERSION', () => {
  it('is the version in package.json, which the Python package also reports', () => {
    expect(VERSION).toBe(packageJson.version);
  });
});
