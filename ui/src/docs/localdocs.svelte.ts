// The LocalDocs screen's state: collections with what each is doing, the embedding models to
// choose from, and the actions on them. Statuses arrive as `collection` events while indexing.

import type {
  AppEvent,
  Backend,
  CollectionChange,
  CollectionNotice,
  CollectionStatus,
  CollectionView,
  LocalDocsView,
  RetrievalSettings,
  UnreadableFile,
} from '../lib/api';
import { describeError, t, type ShownError } from '../lib/i18n.svelte';

/** A collection list with one collection's new status in place (others untouched). */
export function withStatus<T extends { name: string; status: CollectionStatus }>(list: T[], notice: CollectionNotice): T[] {
  return list.map((c) => (c.name === notice.collection ? { ...c, status: notice.status } : c));
}

/** How far an indexing run is, as a bar and a line: files, passages, rate, time left, file. */
export function progressOf(status: CollectionStatus): { percent: number; text: string } | null {
  if (status.state !== 'indexing') return null;
  const percent = status.files_total > 0 ? Math.floor((status.files_done / status.files_total) * 100) : 0;
  const parts = [
    `${status.files_done} / ${status.files_total} ${t('files')}`,
    `${status.chunks_done} ${t('passages')}`,
    `${status.chunks_per_sec.toFixed(1)} ${t('passagesPerSecond')}`,
  ];
  if (status.eta_secs !== null) parts.push(`${t('timeLeft')} ${duration(status.eta_secs)}`);
  if (status.current_file) parts.push(`${t('reading')} ${fileName(status.current_file)}`);
  return { percent, text: parts.join(' · ') };
}

/** Seconds as people read them: 45 s, 3 min, 1 h 5 min. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The last part of a path, on any OS. */
export function fileName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).at(-1) ?? path;
}

/** Whether replies see only part of a collection's documents for now. */
export function isUnfinished(status: CollectionStatus): boolean {
  return status.state !== 'ready' && status.state !== 'failed';
}

export class LocalDocs {
  view = $state<LocalDocsView | null>(null);
  error = $state<ShownError | null>(null);
  /** Unreadable files of each collection whose list was opened. */
  unreadable = $state<Record<string, UnreadableFile[]>>({});
  /** Whether an action is on its way (buttons wait for it). */
  working = $state(false);

  constructor(private readonly api: Backend) {}

  async refresh() {
    try {
      this.view = await this.api.localdocs();
    } catch (e) {
      this.error = describeError(e);
    }
  }

  /** Makes a collection; true when it was made. */
  async add(name: string, folders: string[], model: string | null): Promise<boolean> {
    return this.guard(async () => {
      await this.api.addCollection({ name: name.trim(), folders, model });
    });
  }

  async change(name: string, change: CollectionChange): Promise<boolean> {
    const done = await this.guard(() => this.api.changeCollection(name, change));
    if (done && change.action === 'rebuild') delete this.unreadable[name];
    return done;
  }

  /** Saves how many passages a reply is given and the relevance floor; true when saved. */
  async saveRetrieval(settings: RetrievalSettings): Promise<boolean> {
    return this.guard(() => this.api.setRetrieval(settings));
  }

  async setPaused(paused: boolean) {
    await this.guard(() => this.api.pauseIndexing(paused));
  }

  async showUnreadable(name: string) {
    try {
      this.unreadable[name] = await this.api.unreadableFiles(name);
    } catch (e) {
      this.error = describeError(e);
    }
  }

  /** The system's folder picker (desktop); null where there is none (a browser). */
  pickFolder(): Promise<string | null> {
    return this.api.pickFolder();
  }

  onEvent(event: AppEvent) {
    if (event.type === 'collection') {
      if (!this.view) return;
      // A run that ended changed the counts (and maybe the unreadable files): the collection
      // shows "ready" together with its new counts, never for a moment with the old ones.
      if (event.status.state === 'ready' || event.status.state === 'failed') {
        delete this.unreadable[event.collection];
        void this.endRun(event);
      } else {
        this.view.collections = withStatus(this.view.collections, event);
      }
    } else if (event.type === 'download' && event.event === 'finished') {
      void this.refresh();
    }
  }

  /** Reads the screen again after a run ended; where that fails, the status alone changes. */
  private async endRun(event: CollectionNotice) {
    try {
      this.view = await this.api.localdocs();
    } catch {
      if (this.view) this.view.collections = withStatus(this.view.collections, event);
    }
  }

  /** Runs an action, then reads the screen again; the error, if any, is shown. */
  private async guard(work: () => Promise<void>): Promise<boolean> {
    this.working = true;
    this.error = null;
    try {
      await work();
      return true;
    } catch (e) {
      this.error = describeError(e);
      return false;
    } finally {
      this.working = false;
      await this.refresh();
    }
  }
}

export type { CollectionView };
