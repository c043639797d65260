import { describe, expect, it } from '@jest/globals';

import { TrackedPaths } from '../model/trackedPaths';

describe('TrackedPaths', () => {
  it('keeps only non-empty string paths from stored data', () => {
    const paths = new TrackedPaths(['a.ipynb', 3, null, '', 'b.ipynb']);
    expect(paths.toJSON()).toEqual(['a.ipynb', 'b.ipynb']);
  });

  it('adds, removes and reports whether anything changed', () => {
    const paths = new TrackedPaths();
    expect(paths.add('a.ipynb')).toBe(true);
    expect(paths.add('a.ipynb')).toBe(false);
    expect(paths.has('a.ipynb')).toBe(true);
    expect(paths.remove('a.ipynb')).toBe(true);
    expect(paths.remove('a.ipynb')).toBe(false);
    expect(paths.has('a.ipynb')).toBe(false);
  });

  it('follows renames of remembered notebooks only', () => {
    const paths = new TrackedPaths(['old.ipynb']);
    expect(paths.rename('other.ipynb', 'x.ipynb')).toBe(false);
    expect(paths.rename('old.ipynb', 'dir/new.ipynb')).toBe(true);
    expect(paths.toJSON()).toEqual(['dir/new.ipynb']);
  });

  it('forgets the least recently chosen notebooks beyond its limit', () => {
    const paths = new TrackedPaths(['a', 'b', 'c'], 3);
    paths.add('a'); // now the most recent
    paths.add('d');
    expect(paths.toJSON()).toEqual(['c', 'a', 'd']);
    expect(new TrackedPaths(['1', '2', '3', '4'], 2).toJSON()).toEqual([
      '3',
      '4'
    ]);
  });
});
