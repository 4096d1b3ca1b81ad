// The chat screen's state: the chat list, the open chat, streaming replies, search, undo.

import type { Backend, Chat, ChatView, CoreEvent, Id, ModelChoice, SearchHit } from '../lib/api';

const UNDO_MS = 5000;

export class Chats {
  list = $state<Chat[]>([]);
  open = $state<ChatView | null>(null);
  models = $state<ModelChoice[]>([]);
  model = $state<string | null>(null);
  /** The chat whose reply is streaming now. */
  streaming = $state<Id | null>(null);
  error = $state<string | null>(null);
  results = $state<SearchHit[] | null>(null);
  /** A deleted chat that can still be brought back. */
  deleted = $state<Chat | null>(null);
  private deleteTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly api: Backend) {}

  async start() {
    await this.refreshModels();
    await this.refreshList();
    if (this.list.length > 0) await this.select(this.list[0].id);
  }

  /** The installed models and the default, after a download or a delete. */
  async refreshModels() {
    const { models, default: chosen } = await this.api.models();
    this.models = models;
    if (!this.model || !models.some((m) => m.id === this.model)) this.model = chosen ?? models[0]?.id ?? null;
  }

  private async attempt(work: () => Promise<void>) {
    try {
      this.error = null;
      await work();
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }

  async refreshList() {
    const chats = await this.api.chats();
    this.list = chats.filter((c) => c.id !== this.deleted?.id);
  }

  async select(id: Id) {
    await this.attempt(async () => {
      this.open = await this.api.chat(id);
      this.results = null;
    });
  }

  async newChat() {
    await this.attempt(async () => {
      const chat = await this.api.newChat();
      await this.refreshList();
      this.open = { chat, messages: [] };
    });
  }

  async send(text: string) {
    if (!text.trim() || !this.model) return;
    await this.attempt(async () => {
      if (!this.open) {
        const chat = await this.api.newChat();
        this.open = { chat, messages: [] };
      }
      const chatId = this.open.chat.id;
      this.streaming = chatId;
      await this.api.send(chatId, text, this.model!);
      await this.reload(chatId);
    });
  }

  async stopReply() {
    if (this.streaming !== null) await this.attempt(() => this.api.cancel(this.streaming!));
  }

  async regenerate() {
    if (!this.open || !this.model) return;
    const chatId = this.open.chat.id;
    await this.attempt(async () => {
      this.streaming = chatId;
      await this.api.regenerate(chatId, this.model!);
      await this.reload(chatId);
    });
  }

  async edit(messageId: Id, text: string) {
    if (!this.open || !this.model || !text.trim()) return;
    const chatId = this.open.chat.id;
    await this.attempt(async () => {
      this.streaming = chatId;
      await this.api.edit(messageId, text, this.model!);
      await this.reload(chatId);
    });
  }

  async showVersion(messageId: Id) {
    if (!this.open) return;
    const chatId = this.open.chat.id;
    await this.attempt(async () => {
      await this.api.showVersion(messageId);
      await this.reload(chatId);
    });
  }

  async rename(id: Id, title: string) {
    await this.attempt(async () => {
      await this.api.rename(id, title);
      await this.refreshList();
      if (this.open?.chat.id === id) await this.reload(id);
    });
  }

  async togglePin(chat: Chat) {
    await this.attempt(async () => {
      await this.api.setPinned(chat.id, !chat.pinned);
      await this.refreshList();
    });
  }

  /** Hides the chat at once and deletes it for good after a few seconds, unless undone. */
  async remove(chat: Chat) {
    await this.finishDelete();
    this.deleted = chat;
    this.list = this.list.filter((c) => c.id !== chat.id);
    if (this.open?.chat.id === chat.id) this.open = null;
    this.deleteTimer = setTimeout(() => void this.finishDelete(), UNDO_MS);
  }

  async undoDelete() {
    clearTimeout(this.deleteTimer);
    const chat = this.deleted;
    this.deleted = null;
    await this.refreshList();
    if (chat) await this.select(chat.id);
  }

  private async finishDelete() {
    clearTimeout(this.deleteTimer);
    const chat = this.deleted;
    this.deleted = null;
    if (chat) await this.attempt(() => this.api.deleteChat(chat.id));
  }

  async search(query: string) {
    if (!query.trim()) {
      this.results = null;
      return;
    }
    await this.attempt(async () => {
      this.results = await this.api.search(query);
    });
  }

  async chooseModel(id: string) {
    this.model = id;
    await this.attempt(() => this.api.setDefaultModel(id));
  }

  private async reload(chatId: Id) {
    if (this.open?.chat.id === chatId) this.open = await this.api.chat(chatId);
  }

  onEvent(event: CoreEvent) {
    if (event.type === 'download') {
      if (event.event === 'finished') void this.refreshModels();
      return;
    }
    const open = this.open;
    if (event.type === 'token') {
      const message = open?.chat.id === event.chat_id ? open.messages.find((m) => m.id === event.message_id) : undefined;
      if (message) message.content += event.text;
      else if (open?.chat.id === event.chat_id) void this.reload(event.chat_id);
      return;
    }
    if (event.type === 'reply_finished' && this.streaming === event.chat_id) this.streaming = null;
    if (open?.chat.id === event.chat_id) void this.reload(event.chat_id);
    void this.refreshList();
  }
}
