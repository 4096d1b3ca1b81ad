// The desktop transport: Tauri commands (src-tauri/src/commands.rs) and the `hearth:event`
// event. Argument names are camelCase here; Tauri maps them to the commands' snake_case.

import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { open } from '@tauri-apps/plugin-dialog';
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
  UpdateInfo,
  VerifyResult,
} from './types';

// Every command's name and arguments are checked against src-tauri/src/commands.rs by a Rust
// test (src-tauri/src/contract.rs): name each command as a string literal and pass its
// arguments as an object literal, as below.
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    // Commands fail with core's error report: `{ "kind": …, "message": … }`.
    const report = typeof e === 'object' && e ? (e as { kind?: unknown; message?: unknown }) : { message: e };
    throw new BackendError(String(report.message ?? e), 0, errorKind(report.kind));
  }
}

export class TauriBackend implements Backend {
  models() {
    return call<ModelChoices>('models');
  }
  setDefaultModel(id: string) {
    return call<void>('set_default_model', { id });
  }
  unloadModel() {
    return call<void>('unload_model');
  }
  chats() {
    return call<Chat[]>('chats');
  }
  newChat() {
    return call<Chat>('new_chat');
  }
  chat(id: Id) {
    return call<ChatView>('chat', { id });
  }
  rename(id: Id, title: string) {
    return call<void>('patch_chat', { id, patch: { title } });
  }
  setPinned(id: Id, pinned: boolean) {
    return call<void>('patch_chat', { id, patch: { pinned } });
  }
  deleteChat(id: Id) {
    return call<void>('delete_chat', { id });
  }
  collections() {
    return call<CollectionView[]>('collections');
  }
  localdocs() {
    return call<LocalDocsView>('localdocs');
  }
  addCollection(collection: NewCollection) {
    return call<CollectionView>('add_collection', { collection });
  }
  changeCollection(name: string, change: CollectionChange) {
    return call<void>('change_collection', { name, change });
  }
  unreadableFiles(name: string) {
    return call<UnreadableFile[]>('unreadable_files', { name });
  }
  pauseIndexing(paused: boolean) {
    return call<void>('pause_indexing', { paused });
  }
  setRetrieval(settings: RetrievalSettings) {
    return call<void>('set_retrieval', { settings });
  }
  snapshots() {
    return call<SnapshotUsage>('snapshots');
  }
  setSnapshotLimit(bytes: number) {
    return call<SnapshotUsage>('set_snapshot_limit', { bytes });
  }
  clearSnapshots() {
    return call<SnapshotUsage>('clear_snapshots');
  }
  providers() {
    return call<ProvidersView>('providers');
  }
  addProvider(provider: NewProvider) {
    return call<ProviderAdded>('add_provider', { provider });
  }
  removeProvider(name: string) {
    return call<void>('remove_provider', { name });
  }
  providerModels(name: string) {
    return call<RemoteModel[]>('provider_models', { name });
  }
  addProviderModel(name: string, id: string) {
    return call<void>('add_provider_model', { name, id });
  }
  setKeysInFile(allowed: boolean) {
    return call<ProvidersView>('set_keys_in_file', { allowed });
  }
  async pickFiles() {
    const chosen = await open({ multiple: true, directory: false });
    return Array.isArray(chosen) ? chosen : typeof chosen === 'string' ? [chosen] : null;
  }
  async pickFolder() {
    const chosen = await open({ multiple: false, directory: true });
    return typeof chosen === 'string' ? chosen : null;
  }
  async openSource(messageId: Id, index: number) {
    await call<void>('open_source', { messageId, index });
    return true;
  }
  setChatCollections(id: Id, names: string[]) {
    return call<void>('patch_chat', { id, patch: { collections: names } });
  }
  send(chatId: Id, text: string, model: string, files: string[] = []) {
    return call<Started>('send', { chatId, text, model, files });
  }
  regenerate(chatId: Id, model: string) {
    return call<Started>('regenerate', { chatId, model });
  }
  edit(messageId: Id, text: string, model: string) {
    return call<Started>('edit', { messageId, text, model });
  }
  showVersion(messageId: Id) {
    return call<void>('show_version', { messageId });
  }
  cancel(chatId: Id) {
    return call<void>('cancel', { chatId });
  }
  search(query: string) {
    return call<SearchHit[]>('search', { query });
  }
  generation(model?: string) {
    return call<GenerationSettings>('generation', { model: model ?? null });
  }
  setGeneration(settings: GenerationSettings, model?: string) {
    return call<void>('set_generation', { settings, model: model ?? null });
  }
  clearModelGeneration(model: string) {
    return call<void>('clear_model_generation', { model });
  }
  async openDataFolder() {
    await call<void>('open_data_folder');
    return true;
  }
  async openModelsFolder() {
    await call<void>('open_models_folder');
    return true;
  }
  settings() {
    return call<AppSettings>('settings');
  }
  setSystemPrompt(text: string) {
    return call<void>('set_system_prompt', { text });
  }
  apiStatus() {
    return call<ApiStatus>('api_status');
  }
  setApi(enabled: boolean, host: string, port: number) {
    return call<ApiStatus>('set_api', { enabled, host, port });
  }
  newApiKey() {
    return call<ApiStatus>('new_api_key');
  }
  readonly canUpdate = true;
  setCheckUpdates(on: boolean) {
    return call<void>('set_check_updates', { on });
  }
  checkUpdate() {
    return call<UpdateInfo | null>('check_update');
  }
  async downloadUpdate(progress: (downloaded: number, total: number | null) => void) {
    const stop = await listen<{ downloaded: number; total: number | null }>('hearth:update', (e) => progress(e.payload.downloaded, e.payload.total));
    try {
      await call<void>('download_update');
    } finally {
      stop();
    }
  }
  installUpdate() {
    return call<void>('install_update');
  }
  catalog() {
    return call<CatalogView>('catalog');
  }
  installed() {
    return call<InstalledRow[]>('installed');
  }
  startDownload(id: string) {
    return call<void>('start_download', { id });
  }
  async pauseDownload(id: string) {
    await call<boolean>('pause_download', { id });
  }
  cancelDownload(id: string) {
    return call<void>('cancel_download', { id });
  }
  verifyModel(id: string) {
    return call<VerifyResult>('verify_model', { id });
  }
  deleteModel(id: string) {
    return call<void>('delete_model', { id });
  }
  importModel(path: string) {
    return call<ImportResult>('import_model', { path });
  }
  async pickModelFile() {
    const chosen = await open({ multiple: false, directory: false, filters: [{ name: 'GGUF model', extensions: ['gguf'] }] });
    return typeof chosen === 'string' ? chosen : null;
  }
  onFilesDropped(listener: (paths: string[]) => void): () => void {
    const stop = listen<{ paths: string[] }>('tauri://drag-drop', (e) => listener(e.payload.paths));
    return () => void stop.then((unlisten) => unlisten());
  }

  readonly opensLinks = true;
  openLink(url: string) {
    return call<void>('open_link', { url });
  }

  subscribe(listener: (event: AppEvent) => void): () => void {
    const stop = listen<AppEvent>('hearth:event', (e) => listener(e.payload));
    return () => void stop.then((unlisten) => unlisten());
  }
}
