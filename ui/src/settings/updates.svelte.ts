// The desktop app's update flow: check, download and verify, then install on request. The
// backend refuses a package whose signature does not match the release key; that message is
// shown as it comes.

import type { Backend, UpdateInfo } from '../lib/api';

export type UpdateState =
  | { step: 'idle' }
  | { step: 'checking' }
  | { step: 'current' }
  | { step: 'available'; info: UpdateInfo }
  | { step: 'downloading'; info: UpdateInfo; percent: number | null }
  | { step: 'verified'; info: UpdateInfo }
  | { step: 'failed'; message: string };

export class Updates {
  state = $state<UpdateState>({ step: 'idle' });
  /** Whether the start-up check is on (read from the settings when the app opens). */
  checkOnStart = $state(false);

  constructor(private readonly api: Backend) {}

  /** At start-up: checks once if the user turned the check on. */
  async start() {
    if (!this.api.canUpdate) return;
    try {
      this.checkOnStart = (await this.api.settings()).check_updates;
      if (this.checkOnStart) await this.check();
    } catch (e) {
      this.fail(e);
    }
  }

  async setCheckOnStart(on: boolean) {
    try {
      await this.api.setCheckUpdates(on);
      this.checkOnStart = on;
    } catch (e) {
      this.fail(e);
    }
  }

  async check() {
    this.state = { step: 'checking' };
    try {
      const info = await this.api.checkUpdate();
      this.state = info ? { step: 'available', info } : { step: 'current' };
    } catch (e) {
      this.fail(e);
    }
  }

  async download() {
    if (this.state.step !== 'available') return;
    const info = this.state.info;
    this.state = { step: 'downloading', info, percent: null };
    try {
      await this.api.downloadUpdate((downloaded, total) => {
        this.state = { step: 'downloading', info, percent: total ? Math.round((100 * downloaded) / total) : null };
      });
      this.state = { step: 'verified', info };
    } catch (e) {
      this.fail(e);
    }
  }

  async install() {
    try {
      await this.api.installUpdate();
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown) {
    this.state = { step: 'failed', message: e instanceof Error ? e.message : String(e) };
  }
}
