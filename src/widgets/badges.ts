/**
 * Badges and borders on the cells of one notebook: stale, out of order,
 * edited and the other kinds, with the kernel's reasons as the tooltip.
 *
 * Only cells whose warnings changed are touched, so a state push on a
 * 200-cell notebook costs a few DOM writes. Text comes from the kernel and is
 * set with `textContent` and `title`, never parsed as HTML.
 */

import type { Cell } from '@jupyterlab/cells';
import type { IDisposable } from '@lumino/disposable';

import { BADGE_KINDS, KIND_LABELS } from '../model/hygieneModel';
import { WarningKind } from '../protocol';
import type { INotebookHygiene } from '../tokens';

const BADGE_CLASS = 'jp-jupyterExt-badge';
const FLAGGED_CLASS = 'jp-jupyterExt-flagged';
const KIND_CLASS_PREFIX = 'jp-jupyterExt-kind-';

function kindClass(kind: string): string {
  return KIND_CLASS_PREFIX + kind.replace(/_/g, '-');
}

interface IBadge {
  key: string;
  element: HTMLElement | null;
  classes: string[];
}

export class CellBadges implements IDisposable {
  constructor(private readonly _hygiene: INotebookHygiene) {
    _hygiene.changed.connect(this.update, this);
    const notebook = _hygiene.panel.content;
    notebook.model?.cells.changed.connect(this.update, this);
    this.update();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Bring every cell's badge in line with the current warnings. */
  update(): void {
    if (this._disposed) {
      return;
    }
    const model = this._hygiene.model;
    const seen = new Set<Cell>();
    for (const cell of this._hygiene.panel.content.widgets) {
      seen.add(cell);
      const warnings = model.warningsForCell(cell.model.id);
      const kinds = BADGE_KINDS.filter(kind =>
        warnings.some(warning => warning.kind === kind)
      );
      const reasons = kinds.map(kind => {
        const messages = warnings
          .filter(warning => warning.kind === kind)
          .map(warning => warning.message);
        return `${capitalize(KIND_LABELS[kind])}: ${messages.join('; ')}`;
      });
      const unjudgeable = model.cellStatus(cell.model.id)?.unjudgeable ?? null;
      if (unjudgeable) {
        reasons.push(`Not judged: ${unjudgeable}`);
      }
      const key = JSON.stringify([kinds, reasons]);
      const badge = this._badges.get(cell);
      if (badge?.key === key) {
        continue;
      }
      this._render(cell, kinds, reasons, badge ?? null, key);
    }
    for (const [cell, badge] of this._badges) {
      if (!seen.has(cell)) {
        badge.element?.remove();
        this._badges.delete(cell);
      }
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._hygiene.changed.disconnect(this.update, this);
    this._hygiene.panel.content.model?.cells.changed.disconnect(
      this.update,
      this
    );
    for (const [cell, badge] of this._badges) {
      badge.element?.remove();
      cell.node.classList.remove(FLAGGED_CLASS, ...badge.classes);
    }
    this._badges.clear();
  }

  private _render(
    cell: Cell,
    kinds: WarningKind[],
    reasons: string[],
    previous: IBadge | null,
    key: string
  ): void {
    if (previous) {
      cell.node.classList.remove(FLAGGED_CLASS, ...previous.classes);
    }
    const classes = kinds.map(kindClass);
    if (reasons.length === 0) {
      previous?.element?.remove();
      this._badges.set(cell, { key, element: null, classes });
      return;
    }
    let element = previous?.element ?? null;
    if (element === null || !cell.node.contains(element)) {
      element = document.createElement('div');
      element.className = BADGE_CLASS;
      element.setAttribute('role', 'note');
      cell.node.appendChild(element);
    }
    const label =
      kinds.length === 0
        ? 'not judged'
        : kinds.length === 1
          ? KIND_LABELS[kinds[0]]
          : `${KIND_LABELS[kinds[0]]} +${kinds.length - 1}`;
    element.textContent = label;
    const tooltip = reasons.join('\n');
    element.title = tooltip;
    element.setAttribute('aria-label', `jupyter-ext: ${tooltip}`);
    element.dataset.kinds = kinds.join(' ');
    if (kinds.length) {
      cell.node.classList.add(FLAGGED_CLASS, ...classes);
    }
    this._badges.set(cell, { key, element, classes });
  }

  private _disposed = false;
  private readonly _badges = new Map<Cell, IBadge>();
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
