// The LocalDocs screen's bookkeeping: statuses from events, the progress line, and actions
// that read the screen again (the real backend's side is tested in Rust and the E2E suites).
import { describe, expect, it } from 'vitest';
import { BackendError, type Backend, type CollectionView, type LocalDocsView } from '../lib/api';
import { duration, fileName, isUnfinished, LocalDocs, progressOf, withStatus } from './localdocs.svelte';

const garden: CollectionView = {
  id: 1, name: 'Garden', folders: ['/home/a/garden'], embedding_model: 'e', created_at: 0,
  files: 2, chunks: 9, unreadable: 1, status: { state: 'queued' },
};

function backend(view: LocalDocsView, fail = false): Backend & { calls: string[] } {
  const calls: string[] = [];
  const partial = {
    calls,
    localdocs: async () => { calls.push('localdocs'); return structuredClone(view); },
    changeCollection: async (name: string, change: { action: string }) => {
      calls.push(`${change.action} ${name}`);
      if (fail) throw new BackendError('the collection "Garden" does not exist', 404, 'not_found');
    },
    pauseIndexing: async (paused: boolean) => void calls.push(`paused ${paused}`),
  };
  return partial as unknown as Backend & { calls: string[] };
}

describe('collection statuses', () => {
  it('an event changes only its own collection', () => {
    const other = { ...garden, name: 'Work' };
    const list = withStatus([garden, other], { type: 'collection', collection: 'Work', status: { state: 'ready' } });
    expect(list.map((c) => c.status.state)).toEqual(['queued', 'ready']);
  });

  it('a run in progress reads as files, passages, rate, time left and the file', () => {
    const p = progressOf({ state: 'indexing', files_done: 3, files_total: 12, chunks_done: 40, chunks_per_sec: 12.345, eta_secs: 150, current_file: '/docs/notes/plan.md' });
    expect(p?.percent).toBe(25);
    expect(p?.text).toBe('3 / 12 files · 40 passages · 12.3 passages/s · about 3 min · reading plan.md');
    expect(progressOf({ state: 'ready' })).toBeNull();
  });

  it('only ready and failed collections are finished', () => {
    expect(isUnfinished({ state: 'paused' })).toBe(true);
    expect(isUnfinished({ state: 'waiting_for_model', model: 'e' })).toBe(true);
    expect(isUnfinished({ state: 'ready' })).toBe(false);
    expect(isUnfinished({ state: 'failed', message: 'x' })).toBe(false);
  });

  it('durations and file names read as people write them', () => {
    expect(duration(45)).toBe('45 s');
    expect(duration(3900)).toBe('1 h 5 min');
    expect(fileName('C:\\Users\\a\\notes.txt')).toBe('notes.txt');
  });
});

describe('the screen', () => {
  it('a status event updates the screen; a finished run reads it again', async () => {
    const api = backend({ collections: [garden], paused: false, models: [], retrieval: { passages: 4, min_similarity: 0.15 } });
    const docs = new LocalDocs(api);
    await docs.refresh();
    docs.onEvent({ type: 'collection', collection: 'Garden', status: { state: 'indexing', files_done: 1, files_total: 2, chunks_done: 4, chunks_per_sec: 2, eta_secs: null, current_file: null } });
    expect(docs.view?.collections[0].status.state).toBe('indexing');
    expect(api.calls).toEqual(['localdocs']);
    docs.onEvent({ type: 'collection', collection: 'Garden', status: { state: 'ready' } });
    expect(api.calls).toEqual(['localdocs', 'localdocs']);
    await Promise.resolve();
  });

  it('a finished run shows "ready" only together with its new counts', async () => {
    const view: LocalDocsView = { collections: [garden], paused: false, models: [], retrieval: { passages: 4, min_similarity: 0.15 } };
    const api = backend(view);
    const docs = new LocalDocs(api);
    await docs.refresh();
    docs.onEvent({ type: 'collection', collection: 'Garden', status: { state: 'indexing', files_done: 1, files_total: 41, chunks_done: 4, chunks_per_sec: 2, eta_secs: null, current_file: null } });
    view.collections = [{ ...garden, files: 41, status: { state: 'ready' } }];
    docs.onEvent({ type: 'collection', collection: 'Garden', status: { state: 'ready' } });
    const shown = () => docs.view?.collections[0];
    expect(shown()?.status.state).toBe('indexing');
    await new Promise((r) => setTimeout(r, 0));
    expect(shown()?.status.state).toBe('ready');
    expect(shown()?.files).toBe(41);
  });

  it('a finished run whose counts cannot be read still shows its status', async () => {
    const api = backend({ collections: [garden], paused: false, models: [], retrieval: { passages: 4, min_similarity: 0.15 } });
    const docs = new LocalDocs(api);
    await docs.refresh();
    api.localdocs = async () => { throw new BackendError('the app is closing', 503, 'unavailable'); };
    docs.onEvent({ type: 'collection', collection: 'Garden', status: { state: 'failed', message: 'disk full' } });
    await new Promise((r) => setTimeout(r, 0));
    expect(docs.view?.collections[0].status).toEqual({ state: 'failed', message: 'disk full' });
    expect(docs.view?.collections[0].files).toBe(2);
  });

  it('a refused change is shown in the reader\'s words and the screen is read again', async () => {
    const api = backend({ collections: [garden], paused: false, models: [], retrieval: { passages: 4, min_similarity: 0.15 } }, true);
    const docs = new LocalDocs(api);
    expect(await docs.change('Garden', { action: 'rebuild' })).toBe(false);
    expect(docs.error?.text).toBe('That chat or message no longer exists.');
    expect(docs.error?.detail).toBe('The collection "Garden" does not exist');
    expect(docs.working).toBe(false);
    expect(api.calls).toEqual(['rebuild Garden', 'localdocs']);
  });
});
