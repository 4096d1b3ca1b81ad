// The Models screen's state: installed models, the catalog and guide, downloads in flight.

import type { AppEvent, Backend, CatalogView, DownloadProblem, ImportResult, InstalledRow } from '../lib/api';
import { describeError, t } from '../lib/i18n.svelte';
import { toasts } from '../lib/toast.svelte';

/** One download as its progress bar shows it. */
export interface DownloadState {
  status: 'queued' | 'running' | 'verifying' | 'paused' | 'failed' | 'done';
  bytes: number;
  total: number | null;
  speed: number;
  eta: number | null;
  /** The backend's words (English) for a failure, kept as the detail. */
  message: string | null;
  /** What kind of failure ended it, said in the reader's language. */
  problem: DownloadProblem | null;
  /** Attempts that failed in a row while it keeps trying (0 when it runs well). */
  retries: number;
}

const fresh = (): DownloadState => ({ status: 'queued', bytes: 0, total: null, speed: 0, eta: null, message: null, problem: null, retries: 0 });

export class Models {
  catalog = $state<CatalogView | null>(null);
  installed = $state<InstalledRow[]>([]);
  downloads = $state<Record<string, DownloadState>>({});
  fitsOnly = $state(false);
  commercialOnly = $state(false);
  notice = $state<string | null>(null);
  /** The last file added from elsewhere, with what its header says. */
  imported = $state<ImportResult | null>(null);

  constructor(private readonly api: Backend) {}

  /** Offline, as far as Hearth can tell: a download gave up because no server answered. The
   * catalog is built in, so it stays browsable and installed models keep working. */
  readonly offline = $derived(Object.values(this.downloads).some((d) => d.status === 'failed' && d.problem?.kind === 'unreachable'));

  /** Starts again every download that failed for want of a connection. */
  async retryUnreachable() {
    for (const [id, d] of Object.entries(this.downloads)) {
      if (d.status === 'failed' && d.problem?.kind === 'unreachable') await this.download(id);
    }
  }

  readonly shown = $derived(
    (this.catalog?.models ?? []).filter(
      (m) => (!this.fitsOnly || m.fit !== 'too_big') && (!this.commercialOnly || m.commercial_use),
    ),
  );

  async refresh() {
    try {
      [this.catalog, this.installed] = await Promise.all([this.api.catalog(), this.api.installed()]);
    } catch (e) {
      this.notice = shown(e);
    }
  }

  async download(id: string) {
    this.downloads[id] = fresh();
    await this.guard(() => this.api.startDownload(id));
  }

  async pause(id: string) {
    await this.guard(() => this.api.pauseDownload(id));
  }

  async cancel(id: string) {
    await this.guard(() => this.api.cancelDownload(id));
    delete this.downloads[id];
    await this.refresh();
  }

  async verify(id: string) {
    await this.guard(async () => {
      const check = await this.api.verifyModel(id);
      if (check.matches === false) this.notice = `${id}: ${t('shaDamaged')}`;
      else if (check.matches) toasts.show(`${id}: ${t('shaMatches')} (${check.sha256.slice(0, 16)}…)`);
      else toasts.show(`${id}: SHA-256 ${check.sha256} (${t('shaNothingToCompare')})`);
    });
  }

  /** Checks and adds a GGUF file from this computer. */
  async importFile(path: string) {
    if (!path.trim()) return;
    await this.guard(async () => {
      this.imported = await this.api.importModel(path);
      await this.refresh();
    });
  }

  /** Adds GGUF files dropped on the window; returns the function that stops listening. */
  onDrop(): () => void {
    return this.api.onFilesDropped((paths) => {
      for (const p of paths.filter((p) => p.toLowerCase().endsWith('.gguf'))) void this.importFile(p);
    });
  }

  /** The system's file picker (desktop); false where there is none (browser). */
  async pickAndImport(): Promise<boolean> {
    const path = await this.api.pickModelFile();
    if (path === null) return false;
    await this.importFile(path);
    return true;
  }

  async remove(id: string) {
    await this.guard(() => this.api.deleteModel(id));
    await this.refresh();
  }

  private async guard(work: () => Promise<void>) {
    try {
      this.notice = null;
      await work();
    } catch (e) {
      this.notice = shown(e);
    }
  }

  onEvent(event: AppEvent) {
    if (event.type !== 'download') return;
    const current = this.downloads[event.id] ?? fresh();
    switch (event.event) {
      case 'started':
        this.downloads[event.id] = { ...current, status: 'running', bytes: event.resumed_from, total: event.total };
        break;
      case 'progress':
        this.downloads[event.id] = { ...current, status: 'running', bytes: event.bytes, total: event.total, speed: event.bytes_per_sec, eta: event.eta_secs, retries: 0 };
        break;
      case 'retrying':
        this.downloads[event.id] = { ...current, message: event.reason, retries: event.attempt };
        break;
      case 'verifying':
        this.downloads[event.id] = { ...current, status: 'verifying', bytes: current.total ?? current.bytes };
        break;
      case 'paused':
        this.downloads[event.id] = { ...current, status: 'paused' };
        break;
      case 'failed':
        this.downloads[event.id] = { ...current, status: 'failed', message: event.message, problem: event.problem };
        break;
      case 'cancelled':
        delete this.downloads[event.id];
        break;
      case 'finished':
        this.downloads[event.id] = { ...current, status: 'done', bytes: current.total ?? current.bytes };
        void this.refresh();
        break;
    }
  }
}

/** An error as one line for the notice: the sentence for its kind, then the details. */
function shown(e: unknown): string {
  const { text, detail } = describeError(e);
  return detail ? `${text} ${detail}` : text;
}

/** Bytes for people: 1.2 GB, 98.4 MB. */
export function size(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
