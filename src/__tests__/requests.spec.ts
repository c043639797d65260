import {
  afterEach,
  beforeEach,
  describe,
  expect,
  it,
  jest
} from '@jest/globals';

import { RequestError, RequestTracker } from '../model/requests';

describe('RequestTracker', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('builds requests with unique ids and their arguments', () => {
    const tracker = new RequestTracker(1000);
    const a = tracker.create('lineage', { name: 'df' });
    const b = tracker.create('graph');
    expect(a.message).toMatchObject({
      type: 'request',
      what: 'lineage',
      name: 'df'
    });
    expect(a.message.request_id).not.toBe(b.message.request_id);
    expect(tracker.size).toBe(2);
    tracker.rejectAll('closed');
    return Promise.all([
      expect(a.response).rejects.toThrow('closed'),
      expect(b.response).rejects.toThrow('closed')
    ]);
  });

  it('arguments cannot overwrite the protocol fields', () => {
    const tracker = new RequestTracker(1000);
    const { message, response } = tracker.create('graph', {
      type: 'notebook',
      request_id: 'x'
    });
    expect(message.type).toBe('request');
    expect(message.request_id).not.toBe('x');
    tracker.rejectAll('done');
    return expect(response).rejects.toBeInstanceOf(RequestError);
  });

  it('resolves the request a response answers', async () => {
    const tracker = new RequestTracker(1000);
    const { message, response } = tracker.create('graph');
    expect(tracker.resolve({ type: 'response', request_id: 'unknown' })).toBe(
      false
    );
    expect(
      tracker.resolve({
        type: 'response',
        request_id: message.request_id,
        graph: {}
      })
    ).toBe(true);
    await expect(response).resolves.toMatchObject({ graph: {} });
    expect(tracker.size).toBe(0);
  });

  it('times out with a sentence for the user', async () => {
    const tracker = new RequestTracker(5000);
    const { response } = tracker.create('history');
    jest.advanceTimersByTime(5001);
    await expect(response).rejects.toThrow(
      'The kernel did not answer within 5 s'
    );
    expect(tracker.size).toBe(0);
  });

  it('fails one request without touching the others', async () => {
    const tracker = new RequestTracker(5000);
    const a = tracker.create('graph');
    const b = tracker.create('graph');
    tracker.fail(a.message.request_id, 'not sent');
    await expect(a.response).rejects.toThrow('not sent');
    expect(tracker.size).toBe(1);
    tracker.resolve({ type: 'response', request_id: b.message.request_id });
    await expect(b.response).resolves.toBeTruthy();
  });
});
