// Every backend call goes through this interface; one transport talks HTTP + SSE to
// `hearth-cli serve`, the desktop app's talks Tauri IPC.

import type {
  ApiStatus,
  AppEvent,
  AppSettings,
  CatalogView,
  Chat,
  ChatView,
  CollectionChange,
  CollectionView,
  ErrorKind,
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
import { HttpBackend } from './http';
import { TauriBackend } from './tauri';

export * from './types';

export interface Backend {
  models(): Promise<ModelChoices>;
  setDefaultModel(id: string): Promise<void>;
  /** Frees the model the engine holds; the next reply loads it again. */
  unloadModel(): Promise<void>;
  chats(): Promise<Chat[]>;
  newChat(): Promise<Chat>;
  chat(id: Id): Promise<ChatView>;
  rename(id: Id, title: string): Promise<void>;
  setPinned(id: Id, pinned: boolean): Promise<void>;
  deleteChat(id: Id): Promise<void>;
  /** Every LocalDocs collection with what is indexed of it and what it is doing now. */
  collections(): Promise<CollectionView[]>;
  /** The LocalDocs screen: collections, whether indexing is paused, embedding models. */
  localdocs(): Promise<LocalDocsView>;
  /** Makes a collection; it is read at once (after its embedding model's download, if any). */
  addCollection(collection: NewCollection): Promise<CollectionView>;
  /** Adds or removes a folder, changes the model, rebuilds or removes a collection. */
  changeCollection(name: string, change: CollectionChange): Promise<void>;
  /** The files of a collection that gave no text, each with its reason. */
  unreadableFiles(name: string): Promise<UnreadableFile[]>;
  /** Pauses indexing of every collection, or lets it go on. */
  pauseIndexing(paused: boolean): Promise<void>;
  /** How many passages a reply is given, and the relevance floor. */
  setRetrieval(settings: RetrievalSettings): Promise<void>;
  /** The space the chats' saved conversation caches use, and their limit. */
  snapshots(): Promise<SnapshotUsage>;
  /** Sets the most disk the saved conversation caches may use (0: none are kept). */
  setSnapshotLimit(bytes: number): Promise<SnapshotUsage>;
  /** Removes every saved conversation cache (chats are read again on their next turn). */
  clearSnapshots(): Promise<SnapshotUsage>;
  /** Remote providers, the presets to add one with, and where keys are kept here. */
  providers(): Promise<ProvidersView>;
  /** Adds a provider after its model list answered with the key given (nothing is kept when
   * it does not). */
  addProvider(provider: NewProvider): Promise<ProviderAdded>;
  /** Removes a provider and deletes its key from the keychain. */
  removeProvider(name: string): Promise<void>;
  /** Asks the provider for its models again (the picker shows the list saved here). */
  providerModels(name: string): Promise<RemoteModel[]>;
  /** Adds a model id the provider does not list (the picker shows it). */
  addProviderModel(name: string, id: string): Promise<void>;
  /** Where there is no keychain: whether keys may go to a file only this user can read. */
  setKeysInFile(allowed: boolean): Promise<ProvidersView>;
  /** The system's file picker for attachments (the desktop app); else null. */
  pickFiles(): Promise<string[] | null>;
  /** The system's folder picker, where there is one (the desktop app); else null. */
  pickFolder(): Promise<string | null>;
  /** Opens source `index` of a reply in the system's app (desktop; only files of a
   * collection); false where that cannot be done (a browser shows the excerpt instead). */
  openSource(messageId: Id, index: number): Promise<boolean>;
  /** The collections a chat's replies answer from (new chats start with them too). */
  setChatCollections(id: Id, names: string[]): Promise<void>;
  /** Asks a question; `files` are paths on this computer attached to it (read whole when they
   * fit the context, else indexed into the chat's own collection). */
  send(chatId: Id, text: string, model: string, files?: string[]): Promise<Started>;
  regenerate(chatId: Id, model: string): Promise<Started>;
  edit(messageId: Id, text: string, model: string): Promise<Started>;
  showVersion(messageId: Id): Promise<void>;
  cancel(chatId: Id): Promise<void>;
  search(query: string): Promise<SearchHit[]>;
  /** Everyone's generation settings, or `model`'s own where it has them. */
  generation(model?: string): Promise<GenerationSettings>;
  setGeneration(settings: GenerationSettings, model?: string): Promise<void>;
  /** Drops `model`'s own settings; it uses everyone's again. */
  clearModelGeneration(model: string): Promise<void>;
  /** Opens the data folder in the file manager (desktop); false where that cannot be done. */
  openDataFolder(): Promise<boolean>;
  /** Shows the models folder; false where it cannot (a browser), and the path is shown instead. */
  openModelsFolder(): Promise<boolean>;
  settings(): Promise<AppSettings>;
  /** The local API server switch; null when this page is already served by `hearth-cli serve`. */
  apiStatus(): Promise<ApiStatus | null>;
  setApi(enabled: boolean, host: string, port: number): Promise<ApiStatus>;
  /** Replaces the local API's key (the desktop app's switch); programs using the old one are refused. */
  newApiKey(): Promise<ApiStatus>;
  setSystemPrompt(text: string): Promise<void>;
  /** Whether this backend can update the app (the desktop app; not a page in a browser). */
  readonly canUpdate: boolean;
  /** Turns the start-up update check on or off (off by default). */
  setCheckUpdates(on: boolean): Promise<void>;
  /** Asks the release manifest for a newer version; null when this one is the newest. */
  checkUpdate(): Promise<UpdateInfo | null>;
  /** Downloads the offered update and verifies its signature, reporting bytes as they arrive. */
  downloadUpdate(progress: (downloaded: number, total: number | null) => void): Promise<void>;
  /** Installs the verified update and restarts the app. */
  installUpdate(): Promise<void>;
  catalog(): Promise<CatalogView>;
  installed(): Promise<InstalledRow[]>;
  startDownload(id: string): Promise<void>;
  pauseDownload(id: string): Promise<void>;
  cancelDownload(id: string): Promise<void>;
  verifyModel(id: string): Promise<VerifyResult>;
  deleteModel(id: string): Promise<void>;
  /** Checks a GGUF file at `path` on this computer and adds it to the installed models. */
  importModel(path: string): Promise<ImportResult>;
  /** The system's file picker, where there is one (the desktop app); else null. */
  pickModelFile(): Promise<string | null>;
  /** Paths of GGUF files dropped on the window (the desktop app only); returns a stop function. */
  onFilesDropped(listener: (paths: string[]) => void): () => void;
  /** Whether links are opened by the backend (the desktop app, in the system browser) rather
   * than by the page itself (a browser opens them in a new tab). */
  readonly opensLinks: boolean;
  /** Opens a web link in the system browser (the desktop app). */
  openLink(url: string): Promise<void>;
  /** Calls `listener` with every event until the returned function is called. */
  subscribe(listener: (event: AppEvent) => void): () => void;
}

/** An error from the backend: its kind (one taxonomy on every transport, translated by the
 * UI) and its message for people, as a sentence. */
export class BackendError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly kind: ErrorKind = 'internal',
  ) {
    // The backend's messages are written to follow a colon ("error: …"); shown alone they
    // start a sentence.
    super(message.charAt(0).toUpperCase() + message.slice(1));
  }
}

/** The kind named in a backend error's body; anything unknown counts as `internal` (the UI's
 * translations cover every kind the Rust side has: a new kind fails the type check there). */
export function errorKind(value: unknown): ErrorKind {
  return typeof value === 'string' && value !== '' ? (value as ErrorKind) : 'internal';
}

/** The backend this page talks to: the desktop app's commands inside its window, else HTTP. */
export function connect(): Backend {
  if ('__TAURI_INTERNALS__' in window) return new TauriBackend();
  return new HttpBackend(window.location.origin, takeToken());
}

/** The token arrives in the URL fragment (`#token=…`), is kept for this tab, and leaves the URL. */
function takeToken(): string {
  const match = /(?:^|[#&])token=([0-9A-Za-z._~-]+)/.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem('hearth-token', match[1]);
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return match[1];
  }
  return sessionStorage.getItem('hearth-token') ?? '';
}
