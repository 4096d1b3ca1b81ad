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

export type CoreEvent =
  | { type: 'message_added'; chat_id: Id; message_id: Id }
  | { type: 'token'; chat_id: Id; message_id: Id; text: string }
  | { type: 'reply_finished'; chat_id: Id; message_id: Id; status: MessageStatus }
  | { type: 'chat_changed'; chat_id: Id };

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
}
