import { describe, expect, it } from 'vitest';
import type { AppEvent, Backend } from '../lib/api';
import { downloadProblemText, locale } from '../lib/i18n.svelte';
import { Models, size } from './models.svelte';

function backend(started: string[]): Backend {
  return {
    startDownload: async (id: string) => void started.push(id),
    catalog: async () => ({ models: [], guide: [], machine: null }),
    installed: async () => [],
  } as unknown as Backend;
}

const failed = (id: string, problem: Extract<AppEvent, { type: 'download'; event: 'failed' }>['problem']): AppEvent => ({
  type: 'download',
  event: 'failed',
  id,
  message: 'downloading https://example.org/m.gguf failed: connection refused',
  problem,
});

describe('downloads', () => {
  it('count failed tries while they reconnect, and forget them once bytes flow again', () => {
    const models = new Models(backend([]));
    models.onEvent({ type: 'download', event: 'retrying', id: 'a', attempt: 2, reason: 'no data for 30 s', wait_ms: 2000 });
    expect(models.downloads.a.retries).toBe(2);
    models.onEvent({ type: 'download', event: 'progress', id: 'a', bytes: 10, total: 100, bytes_per_sec: 5, eta_secs: 18 });
    expect(models.downloads.a.retries).toBe(0);
  });

  it('show the offline state only when no server answered, and try those again', async () => {
    const started: string[] = [];
    const models = new Models(backend(started));
    models.onEvent(failed('damaged', { kind: 'damaged' }));
    expect(models.offline).toBe(false);
    models.onEvent(failed('a', { kind: 'unreachable' }));
    models.onEvent(failed('b', { kind: 'unreachable' }));
    expect(models.offline).toBe(true);
    expect(models.downloads.a.problem).toEqual({ kind: 'unreachable' });
    await models.retryUnreachable();
    expect(started.sort()).toEqual(['a', 'b']);
    expect(models.offline).toBe(false);
    expect(models.downloads.damaged.status).toBe('failed');
  });

  it('say why in the reader\'s language, with the sizes written out', () => {
    const before = locale.language;
    try {
      const full = { kind: 'disk_full', needed: 2_000_000_000, free: 500_000_000 } as const;
      locale.language = 'en';
      expect(downloadProblemText(full, size)).toContain(`${size(2_000_000_000)} needed, ${size(500_000_000)} free`);
      expect(downloadProblemText({ kind: 'refused', status: 404 }, size)).toContain('HTTP 404');
      locale.language = 'zh';
      expect(downloadProblemText(full, size)).toContain(`需要 ${size(2_000_000_000)}`);
      expect(downloadProblemText({ kind: 'unreachable' }, size)).toContain('离线');
    } finally {
      locale.language = before;
    }
  });
});
