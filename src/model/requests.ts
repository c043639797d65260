/**
 * Requests to the kernel side, matched to their responses by `request_id`.
 *
 * A response may never come (an old kernel, a kernel busy for minutes, a
 * restart), so every request ends: with its response, with a timeout, or
 * when the comm goes away. Callers always get a settled promise and never an
 * unhandled rejection.
 */

import type {
  IRequestMessage,
  IResponseMessage,
  RequestWhat
} from '../protocol';
import { defaultTimers, ITimers } from './snapshots';

export class RequestError extends Error {}

interface IPending {
  resolve: (response: IResponseMessage) => void;
  reject: (error: RequestError) => void;
  timer: unknown;
}

export class RequestTracker {
  constructor(
    private readonly _timeoutMs: number,
    private readonly _timers: ITimers = defaultTimers
  ) {}

  get size(): number {
    return this._pending.size;
  }

  /**
   * A request message to send, and the promise of its response. The promise
   * rejects with a `RequestError` whose message is fit to show to the user.
   */
  create(
    what: RequestWhat,
    args: Record<string, unknown> = {}
  ): { message: IRequestMessage; response: Promise<IResponseMessage> } {
    this._counter += 1;
    const id = `${this._prefix}-${this._counter}`;
    const message: IRequestMessage = {
      ...args,
      type: 'request',
      request_id: id,
      what
    };
    const response = new Promise<IResponseMessage>((resolve, reject) => {
      const timer = this._timers.setTimeout(() => {
        if (this._pending.delete(id)) {
          reject(
            new RequestError(
              `The kernel did not answer within ${Math.round(this._timeoutMs / 1000)} s (is it busy running a cell?).`
            )
          );
        }
      }, this._timeoutMs);
      this._pending.set(id, { resolve, reject, timer });
    });
    return { message, response };
  }

  /** Settle the request a response answers; false for an unknown id. */
  resolve(response: IResponseMessage): boolean {
    const pending = this._pending.get(response.request_id);
    if (!pending) {
      return false;
    }
    this._pending.delete(response.request_id);
    this._timers.clearTimeout(pending.timer);
    pending.resolve(response);
    return true;
  }

  /** Fail one request, e.g. when it could not be sent. */
  fail(id: string, reason: string): void {
    const pending = this._pending.get(id);
    if (pending) {
      this._pending.delete(id);
      this._timers.clearTimeout(pending.timer);
      pending.reject(new RequestError(reason));
    }
  }

  /** Fail every open request: the comm they were sent on is gone. */
  rejectAll(reason: string): void {
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const item of pending) {
      this._timers.clearTimeout(item.timer);
      item.reject(new RequestError(reason));
    }
  }

  private _counter = 0;
  // Distinguishes this tracker's ids from another tab's in the same kernel.
  private readonly _prefix = Math.random().toString(36).slice(2, 10);
  private readonly _pending = new Map<string, IPending>();
}
