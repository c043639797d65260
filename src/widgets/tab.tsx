/**
 * The base of the panel's tabs: each follows the active notebook's hygiene and
 * re-renders when it changes. Tabs that need more than the pushed state fetch
 * it with a request, only while visible, once per new state.
 */

import { ReactWidget } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import type { Payload } from '../model/payloads';
import type { INotebookHygiene } from '../tokens';
import type { HygieneActions } from './actions';

/** What the tabs share: the actions, and a way to switch to another tab. */
export interface IPanelServices {
  actions: HygieneActions;
  /** Show the lineage of one variable in the Lineage tab. */
  showLineage(name: string): void;
  /** Report the outcome of an action in the panel's status line. */
  notify(message: string): void;
}

export abstract class HygieneTab extends ReactWidget {
  constructor(protected readonly services: IPanelServices) {
    super();
    this.addClass('jp-jupyterExt-tab');
  }

  get hygiene(): INotebookHygiene | null {
    return this._hygiene;
  }

  setHygiene(hygiene: INotebookHygiene | null): void {
    if (hygiene === this._hygiene) {
      return;
    }
    this._hygiene?.changed.disconnect(this.onHygieneChanged, this);
    this._hygiene = hygiene;
    hygiene?.changed.connect(this.onHygieneChanged, this);
    this.onHygieneSwitched();
  }

  dispose(): void {
    this._hygiene?.changed.disconnect(this.onHygieneChanged, this);
    super.dispose();
  }

  protected onHygieneChanged(): void {
    this.update();
  }

  protected onHygieneSwitched(): void {
    this.update();
  }

  /** The sentence to show instead of content while not connected, or null. */
  protected notConnected(): React.ReactElement | null {
    const hygiene = this._hygiene;
    if (hygiene === null) {
      return (
        <p className="jp-jupyterExt-empty">
          Open a notebook to see its hygiene.
        </p>
      );
    }
    if (hygiene.model.phase !== 'connected') {
      return (
        <p className="jp-jupyterExt-empty">{hygiene.model.status.detail}</p>
      );
    }
    return null;
  }

  private _hygiene: INotebookHygiene | null = null;
}

/** Delay before re-fetching after a state push, so a run of cells fetches once. */
const REFETCH_DELAY_MS = 250;

/** Marks data as never fetched, or to be fetched again. */
const NOT_FETCHED = Symbol('not fetched');

export abstract class FetchingTab<T> extends HygieneTab {
  protected data: T | null = null;
  protected error: string | null = null;
  protected loading = false;

  /** Fetch again now, e.g. after the user changed an argument. */
  refresh(): void {
    this._fetchedFor = NOT_FETCHED;
    this._maybeFetch();
  }

  protected abstract fetch(hygiene: INotebookHygiene): Promise<Payload<T>>;

  protected abstract renderData(data: T): React.ReactElement;

  protected render(): React.ReactElement {
    const waiting = this.notConnected();
    if (waiting) {
      return waiting;
    }
    if (this.error !== null) {
      return (
        <p className="jp-jupyterExt-error" role="alert">
          {this.error}
        </p>
      );
    }
    if (this.data === null) {
      return <p className="jp-jupyterExt-empty">Loading…</p>;
    }
    return this.renderData(this.data);
  }

  protected onHygieneChanged(): void {
    this._schedule();
    this.update();
  }

  protected onHygieneSwitched(): void {
    this.data = null;
    this.error = null;
    this._fetchedFor = NOT_FETCHED;
    this._maybeFetch();
    this.update();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._maybeFetch();
  }

  private _schedule(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      this._maybeFetch();
    }, REFETCH_DELAY_MS);
  }

  /** Fetch if visible and the data predates the latest state. */
  private _maybeFetch(): void {
    const hygiene = this.hygiene;
    if (
      hygiene === null ||
      !this.isVisible ||
      hygiene.model.phase !== 'connected'
    ) {
      return;
    }
    const wanted = hygiene.model.state;
    if (this._fetchedFor === wanted) {
      return;
    }
    this._fetchedFor = wanted;
    const ticket = ++this._ticket;
    this.loading = true;
    this.fetch(hygiene)
      .then(
        result => {
          if (ticket !== this._ticket || this.hygiene !== hygiene) {
            return;
          }
          this.data = result.value;
          this.error = result.error;
        },
        (error: unknown) => {
          if (ticket !== this._ticket || this.hygiene !== hygiene) {
            return;
          }
          this.error = error instanceof Error ? error.message : String(error);
          this._fetchedFor = NOT_FETCHED;
        }
      )
      .finally(() => {
        if (ticket === this._ticket) {
          this.loading = false;
          this.update();
        }
      });
  }

  private _fetchedFor: unknown = NOT_FETCHED;
  private _ticket = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
}
