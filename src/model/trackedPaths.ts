/**
 * Which notebooks the user chose to track, by path, so that a notebook
 * reopened tomorrow is tracked again without another click. Pure: the
 * plugin loads and saves it through JupyterLab's state database.
 */

/** Oldest choices are forgotten first beyond this many notebooks. */
export const MAX_REMEMBERED = 500;

export class TrackedPaths {
  constructor(paths: readonly unknown[] = [], limit = MAX_REMEMBERED) {
    this._limit = limit;
    for (const path of paths) {
      if (typeof path === 'string' && path.length > 0) {
        this._paths.add(path);
      }
    }
    this._trim();
  }

  has(path: string): boolean {
    return this._paths.has(path);
  }

  /** Remember `path` as tracked (most recent last); true if anything changed. */
  add(path: string): boolean {
    if (this._paths.has(path)) {
      // Refresh its age so that a notebook in use is the last forgotten.
      this._paths.delete(path);
      this._paths.add(path);
      return false;
    }
    this._paths.add(path);
    this._trim();
    return true;
  }

  remove(path: string): boolean {
    return this._paths.delete(path);
  }

  /** Follow a rename or move of a remembered notebook. */
  rename(from: string, to: string): boolean {
    if (!this._paths.delete(from)) {
      return false;
    }
    this._paths.add(to);
    return true;
  }

  toJSON(): string[] {
    return [...this._paths];
  }

  private _trim(): void {
    while (this._paths.size > this._limit) {
      const oldest = this._paths.values().next().value as string;
      this._paths.delete(oldest);
    }
  }

  private readonly _limit: number;
  private readonly _paths = new Set<string>();
}
