/**
 * How cells and executions are named in the panel: by their position in the
 * document (what the user sees) and their prompt number (what the kernel
 * counted), never by nbformat ids, which nobody can read.
 */

import type { IExecutionRef } from './payloads';

/** "cell 3 [5]": 1-based position and prompt; "deleted cell" when gone. */
export function cellLabel(
  position: number | null | undefined,
  executionCount: number | null | undefined
): string {
  const prompt =
    executionCount !== null && executionCount !== undefined
      ? ` [${executionCount}]`
      : '';
  if (position === null || position === undefined) {
    return `deleted cell${prompt}`;
  }
  return `cell ${position + 1}${prompt}`;
}

/** A label for an execution reference whose cell may be gone or absent. */
export function executionLabel(
  ref: IExecutionRef | null,
  positionOf: (cellId: string) => number | null
): string {
  if (ref === null || ref.seq === null) {
    return 'before tracking started';
  }
  if (ref.cell_id === null) {
    const prompt =
      ref.execution_count !== null ? `[${ref.execution_count}]` : `#${ref.seq}`;
    return `${prompt} outside the notebook`;
  }
  return cellLabel(positionOf(ref.cell_id), ref.execution_count);
}

/** Seconds as people read them: "12 ms", "1.4 s", "2 min 5 s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) {
    return '—';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** Epoch seconds as a local date and time; "—" when unknown. */
export function formatTime(epochSeconds: number | null): string {
  if (epochSeconds === null || !Number.isFinite(epochSeconds)) {
    return '—';
  }
  return new Date(epochSeconds * 1000).toLocaleString();
}
