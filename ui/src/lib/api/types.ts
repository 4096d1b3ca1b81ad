// The backend's data, as hearth-core serialises it.

export type Id = number;
export type Role = 'system' | 'user' | 'assistant';
export type MessageStatus = 'streaming' | 'complete' | 'interrupted' | 'error';

export interface Chat {
  id: Id;
  title: string;
  created_at: number;
  updated_at: number;
  model: string | null;
  system_prompt: string | null;
  pinned: boolean;
  archived: boolean;
  current_leaf: Id | null;
}

export interface Message {
  id: Id;
  chat_id: Id;
  parent_id: Id | null;
  role: Role;
  content: string;
  status: MessageStatus;
  error: string | null;
  model_file: string | null;
  completion_tokens: number | null;
  generation_ms: number | null;
  prompt_tokens: number | null;
  created_at: number;
  /** This message and its siblings (its versions), oldest first. */
  versions: Id[];
}

export interface ChatView {
  chat: Chat;
  messages: Message[];
}

export interface ModelChoice {
  id: string;
  name: string;
  quant: string | null;
  size: number;
}

export interface SearchHit {
  chat_id: Id;
  chat_title: string;
  message_id: Id | null;
  snippet: { text: string; highlight: boolean }[];
}

export type DownloadEvent =
  | { event: 'queued'; id: string }
  | { event: 'started'; id: string; total: number | null; resumed_from: number }
  | { event: 'progress'; id: string; bytes: number; total: number | null; bytes_per_sec: number; eta_secs: number | null }
  | { event: 'retrying'; id: string; attempt: number; reason: string; wait_ms: number }
  | { event: 'restarted'; id: string; reason: string }
  | { event: 'verifying'; id: string }
  | { event: 'finished'; id: string; path: string }
  | { event: 'paused'; id: string }
  | { event: 'cancelled'; id: string }
  | { event: 'failed'; id: string; message: string };

export type CoreEvent =
  | { type: 'message_added'; chat_id: Id; message_id: Id }
  | { type: 'token'; chat_id: Id; message_id: Id; text: string }
  | { type: 'reply_finished'; chat_id: Id; message_id: Id; status: MessageStatus }
  | { type: 'chat_changed'; chat_id: Id }
  | ({ type: 'download' } & DownloadEvent);

/** A reply that has started; its text arrives as `token` events. */
export interface Started {
  chat_id: Id;
  message_id: Id;
}

/** How replies are sampled (GPT4All Chat's defaults until changed). */
export interface Generation {
  temperature: number;
  top_k: number;
  top_p: number;
  min_p: number;
  repeat_penalty: number;
  repeat_last_n: number;
  frequency_penalty: number;
  presence_penalty: number;
  seed: number | null;
  max_tokens: number;
  stop: string[];
  /** Context length in tokens. */
  context: number;
  /** Threads; null means one per physical core. */
  threads: number | null;
  /** True when these are one model's own settings. */
  overridden?: boolean;
}

export type Fit = 'runs_well' | 'tight' | 'too_big';

export interface CatalogEntry {
  id: string;
  name: string;
  family: string;
  parameters: string;
  quant: string;
  file: string;
  size: number | null;
  size_label: string | null;
  ram: number;
  context_length: number;
  license: string;
  commercial_use: boolean;
  description: string;
  tags: string[];
  fit: Fit | null;
  installed: boolean;
  /** Bytes of a paused download, if any. */
  partial: number | null;
}

export interface GuideEntry {
  family: string;
  runs: 'yes' | 'partly' | 'no';
  why: string;
  license: string;
  commercial_use: boolean;
  ram: number;
  model: string | null;
  instead: string;
}

export interface Catalog {
  machine: { total_ram: number; available_ram: number } | null;
  models: CatalogEntry[];
  guide: GuideEntry[];
}

export interface InstalledModel {
  id: string;
  file: string;
  size: number;
  ram: number | null;
  license: string | null;
  catalog_id: string | null;
  problem: string | null;
  facts: { architecture: string; quant: string | null; parameters: number; context_length: number | null } | null;
}

export interface AppSettings {
  system_prompt: string;
  data_dir: string;
  version: string;
  llama_cpp: string;
  machine: { total_ram: number; available_ram: number } | null;
  check_updates: boolean;
}

/** A newer release of the desktop app. */
export interface UpdateInfo {
  version: string;
  current: string;
  notes: string | null;
}

/** The desktop app's local API server (null where the page is itself served by the API). */
export interface ApiStatus {
  enabled: boolean;
  host: string;
  port: number;
  url: string | null;
  token: string | null;
  warning: string | null;
}

/** A GGUF file added from elsewhere on this computer, with what its header says. */
export interface ImportResult {
  model: InstalledModel;
  imported_as: 'hard_link' | 'copy';
  ram: number | null;
}
