// The HTTP transport: JSON routes and a server-sent event stream on `hearth-cli serve`.

import type { Backend } from './index';
import { BackendError, errorKind } from './index';
import type {
  ApiStatus,
  AppEvent,
  AppSettings,
  CatalogView,
  Chat,
  ChatView,
  CollectionChange,
  CollectionView,
  GenerationSettings,
  Id,
  ImportResult,
  InstalledRow,
  LocalDocsView,
  ModelChoices,
  NewCollection,
  NewProvider,
  ProviderAdded,
  ProvidersView,
  RemoteModel,
  RetrievalSettings,
  SnapshotUsage,
  SearchHit,
  Started,
  UnreadableFile,
  VerifyResult,
} from './types';

export class HttpBackend implements Backend {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.base}/api${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      if (response.ok) throw new BackendError(`the server's answer is not JSON (HTTP ${response.status})`, response.status);
    }
    if (!response.ok) {
      const error = (data as { error?: { message?: string; kind?: string } } | null)?.error;
      throw new BackendError(error?.message ?? `HTTP ${response.status}`, response.status, errorKind(error?.kind));
    }
    return data as T;
  }

  models() {
    return this.call<ModelChoices>('GET', '/models');
  }
  setDefaultModel(id: string) {
    return this.call<void>('PUT', '/models/default', { id });
  }
  unloadModel() {
    return this.call<void>('POST', '/models/unload');
  }
  chats() {
    return this.call<Chat[]>('GET', '/chats');
  }
  newChat() {
    return this.call<Chat>('POST', '/chats', {});
  }
  chat(id: Id) {
    return this.call<ChatView>('GET', `/chats/${id}`);
  }
  rename(id: Id, title: string) {
    return this.call<void>('PATCH', `/chats/${id}`, { title });
  }
  setPinned(id: Id, pinned: boolean) {
    return this.call<void>('PATCH', `/chats/${id}`, { pinned });
  }
  deleteChat(id: Id) {
    return this.call<void>('DELETE', `/chats/${id}`);
  }
  collections() {
    return this.call<CollectionView[]>('GET', '/collections');
  }
  localdocs() {
    return this.call<LocalDocsView>('GET', '/localdocs');
  }
  addCollection(collection: NewCollection) {
    return this.call<CollectionView>('POST', '/collections', collection);
  }
  changeCollection(name: string, change: CollectionChange) {
    return this.call<void>('POST', '/collections/change', { name, ...change });
  }
  unreadableFiles(name: string) {
    return this.call<UnreadableFile[]>('GET', `/collections/unreadable?name=${encodeURIComponent(name)}`);
  }
  pauseIndexing(paused: boolean) {
    return this.call<void>('PUT', '/localdocs/paused', { paused });
  }
  snapshots() {
    return this.call<SnapshotUsage>('GET', '/snapshots');
  }
  setSnapshotLimit(bytes: number) {
    return this.call<SnapshotUsage>('PUT', '/snapshots/limit', { bytes });
  }
  clearSnapshots() {
    return this.call<SnapshotUsage>('DELETE', '/snapshots');
  }
  providers() {
    return this.call<ProvidersView>('GET', '/providers');
  }
  addProvider(provider: NewProvider) {
    return this.call<ProviderAdded>('POST', '/providers', provider);
  }
  removeProvider(name: string) {
    return this.call<void>('DELETE', `/providers/${encodeURIComponent(name)}`);
  }
  providerModels(name: string) {
    return this.call<RemoteModel[]>('POST', `/providers/${encodeURIComponent(name)}/models`);
  }
  addProviderModel(name: string, id: string) {
    return this.call<void>('POST', `/providers/${encodeURIComponent(name)}/model`, { id });
  }
  setKeysInFile(allowed: boolean) {
    return this.call<ProvidersView>('PUT', '/providers/keys_in_file', { allowed });
  }
  setRetrieval(settings: RetrievalSettings) {
    return this.call<void>('PUT', '/localdocs/retrieval', settings);
  }
  async pickFiles() {
    // A page cannot give paths of this computer's files; the composer asks for a typed path.
    return null;
  }
  async pickFolder() {
    // A page has no folder picker for this computer's paths; the screen asks for a typed path.
    return null;
  }
  async openSource() {
    // A page in a browser never opens files on the computer; the excerpt is shown instead.
    return false;
  }
  setChatCollections(id: Id, names: string[]) {
    return this.call<void>('PATCH', `/chats/${id}`, { collections: names });
  }
  send(chatId: Id, text: string, model: string, files: string[] = []) {
    return this.call<Started>('POST', `/chats/${chatId}/messages`, { text, model, files });
  }
  regenerate(chatId: Id, model: string) {
    return this.call<Started>('POST', `/chats/${chatId}/regenerate`, { model });
  }
  edit(messageId: Id, text: string, model: string) {
    return this.call<Started>('POST', `/messages/${messageId}/edit`, { text, model });
  }
  showVersion(messageId: Id) {
    return this.call<void>('POST', `/messages/${messageId}/show`);
  }
  cancel(chatId: Id) {
    return this.call<void>('POST', `/chats/${chatId}/cancel`);
  }
  search(query: string) {
    return this.call<SearchHit[]>('GET', `/search?q=${encodeURIComponent(query)}`);
  }

  generation(model?: string) {
    return this.call<GenerationSettings>('GET', `/settings/generation${forModel(model)}`);
  }
  setGeneration(settings: GenerationSettings, model?: string) {
    return this.call<void>('PUT', `/settings/generation${forModel(model)}`, settings);
  }
  clearModelGeneration(model: string) {
    return this.call<void>('DELETE', `/settings/generation${forModel(model)}`);
  }
  async openDataFolder() {
    // A page in a browser cannot open the server's folders; Settings shows the path instead.
    return false;
  }
  async openModelsFolder() {
    return false;
  }

  settings() {
    return this.call<AppSettings>('GET', '/settings');
  }
  setSystemPrompt(text: string) {
    return this.call<void>('PUT', '/settings/system_prompt', { system_prompt: text });
  }
  // The server updates itself with its package manager; the page offers no updates.
  readonly canUpdate = false;
  async setCheckUpdates() {}
  async checkUpdate() {
    return null;
  }
  async downloadUpdate() {}
  async installUpdate() {}

  async apiStatus() {
    // This page is served by `hearth-cli serve`, which is the API server: nothing to switch.
    return null;
  }
  setApi(): Promise<ApiStatus> {
    return Promise.reject(new BackendError('the API server is `hearth-cli serve` itself', 400, 'invalid'));
  }
  newApiKey(): Promise<ApiStatus> {
    return Promise.reject(new BackendError('the API key of `hearth-cli serve` is changed with `hearth-cli api-key --new`', 400, 'invalid'));
  }
  catalog() {
    return this.call<CatalogView>('GET', '/catalog');
  }
  installed() {
    return this.call<InstalledRow[]>('GET', '/installed');
  }
  async startDownload(id: string) {
    await this.call<unknown>('POST', '/downloads', { id });
  }
  async pauseDownload(id: string) {
    await this.call<unknown>('POST', `/downloads/${encodeURIComponent(id)}/pause`);
  }
  async cancelDownload(id: string) {
    await this.call<unknown>('POST', `/downloads/${encodeURIComponent(id)}/cancel`);
  }
  verifyModel(id: string) {
    return this.call<VerifyResult>(
      'POST',
      `/installed/${encodeURIComponent(id)}/verify`,
    );
  }
  importModel(path: string) {
    return this.call<ImportResult>('POST', '/installed', { path });
  }
  async pickModelFile() {
    // A browser gives pages no file paths; the Models screen asks for the path instead.
    return null;
  }
  onFilesDropped(): () => void {
    return () => {};
  }
  // The page's own link (target="_blank", rel="noopener") opens it in a new tab.
  readonly opensLinks = false;
  async openLink() {}
  async deleteModel(id: string) {
    await this.call<unknown>('DELETE', `/installed/${encodeURIComponent(id)}`);
  }

  subscribe(listener: (event: AppEvent) => void): () => void {
    // EventSource cannot send headers, so the stream is read with fetch.
    const controller = new AbortController();
    const run = async () => {
      while (!controller.signal.aborted) {
        try {
          const response = await fetch(`${this.base}/api/events`, {
            headers: { Authorization: `Bearer ${this.token}` },
            signal: controller.signal,
          });
          if (!response.body) return;
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const frame = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const data = frame
                .split('\n')
                .filter((line) => line.startsWith('data:'))
                .map((line) => line.slice(5).trimStart())
                .join('\n');
              if (data) listener(JSON.parse(data) as AppEvent);
            }
          }
        } catch {
          // The server went away or the page is closing; try again shortly unless aborted.
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    };
    void run();
    return () => controller.abort();
  }
}

function forModel(model?: string): string {
  return model ? `?model=${encodeURIComponent(model)}` : '';
}
