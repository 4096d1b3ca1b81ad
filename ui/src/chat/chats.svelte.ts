// The chat screen's state: the chat list, the open chat, replies being written, search, undo.
//
// A reply's life: `send` resolves once the question and the reply are written (or rejects,
// and then nothing was written and the draft stays); the reply then ends with exactly one
// `reply_finished` event, whatever happens. Replies are tracked by message id, so two in one
// chat never overwrite each other, and every path clears what it set.

import type { AppEvent, Backend, Chat, ChatView, CollectionView, Id, ModelChoice, NoticeAbout, SearchHit, Started } from '../lib/api';
import { describeError, type ShownError } from '../lib/i18n.svelte';
import { withStatus } from '../docs/localdocs.svelte';

const UNDO_MS = 5000;

export class Chats {
  list = $state<Chat[]>([]);
  open = $state<ChatView | null>(null);
  models = $state<ModelChoice[]>([]);
  model = $state<string | null>(null);
  /** Replies being written: message id → chat id. */
  replying = $state<Record<Id, Id>>({});
  /** Replies waiting while their model loads. */
  loading = $state<Record<Id, true>>({});
  /** How much of the model being loaded is read (0 to 1), while a reply waits for it. */
  loadProgress = $state<number | null>(null);
  /** The chat whose send request is on its way. */
  sending = $state<Id | null>(null);
  error = $state<ShownError | null>(null);
  /** Something to know that is not a failure (a model's prompt format was replaced). */
  /** What the backend last wanted the person to know (said in the reader's language). */
  notice = $state<NoticeAbout | null>(null);
  results = $state<SearchHit[] | null>(null);
  /** Every LocalDocs collection, for the chat's picker (read when the picker opens). */
  collections = $state<CollectionView[]>([]);
  /** Files attached to the next question (paths on this computer). */
  attached = $state<string[]>([]);
  /** A deleted chat that can still be brought back. */
  deleted = $state<Chat | null>(null);
  private deleteTimer: ReturnType<typeof setTimeout> | undefined;
  /** Searches asked so far; only the newest one's answer is shown. */
  private searches = 0;
  /** Counts the person's choices of chat: a chat read for an older choice is not shown. */
  private choices = 0;
  /** Replies that ended before the request that started them answered (a fast failure). */
  private endedEarly = new Set<Id>();
  /** A chat being made ("New chat"): a question sent meanwhile goes into it, not into the
   * chat shown before. */
  private making: Promise<Chat> | null = null;

  constructor(private readonly api: Backend) {}

  /** Whether `chatId` has a reply being written or a send on its way. */
  isBusy(chatId: Id | undefined): boolean {
    if (chatId === undefined) return this.sending !== null;
    return this.sending === chatId || Object.values(this.replying).includes(chatId);
  }

  /** Whether this reply is being written now. */
  isReplying(messageId: Id): boolean {
    return messageId in this.replying;
  }

  async start() {
    await this.refreshModels();
    await this.refreshList();
    // A chat the person opened (or made) meanwhile stays open.
    if (this.list.length > 0 && this.open === null) await this.select(this.list[0].id);
    void this.refreshCollections();
  }

  /** The installed models and the default, after a download or a delete. */
  async refreshModels() {
    const { models, default: chosen } = await this.api.models();
    this.models = models;
    if (!this.model || !models.some((m) => m.id === this.model)) this.model = chosen ?? models[0]?.id ?? null;
  }

  /** Frees the model the engine holds (its memory goes back to the computer). */
  async unloadModel(): Promise<boolean> {
    const done = await this.attempt(() => this.api.unloadModel());
    if (done) await this.refreshModels().catch(() => {});
    return done;
  }

  private async attempt(work: () => Promise<void>): Promise<boolean> {
    try {
      this.error = null;
      await work();
      return true;
    } catch (e) {
      this.error = describeError(e);
      return false;
    }
  }

  async refreshList() {
    const chats = await this.api.chats();
    this.list = chats.filter((c) => c.id !== this.deleted?.id);
  }

  async select(id: Id) {
    const choice = ++this.choices;
    await this.attempt(async () => {
      const view = await this.api.chat(id);
      // Another chat was chosen while this one was read: that one stays.
      if (choice !== this.choices) return;
      this.open = view;
      this.results = null;
    });
  }

  async refreshCollections() {
    await this.attempt(async () => {
      this.collections = await this.api.collections();
    });
  }

  /** Switches a collection on or off for the open chat (made first when there is none yet);
   * new chats start with the same choice. */
  async toggleCollection(name: string, on: boolean) {
    await this.attempt(async () => {
      if (!this.open) {
        const chat = await this.newChatOnce();
        if (!this.open) this.open = { chat, messages: [] };
        await this.refreshList();
      }
      const chat = this.open.chat;
      const chosen = chat.collections.filter((n) => n !== name);
      if (on) chosen.push(name);
      await this.api.setChatCollections(chat.id, chosen);
      chat.collections = chosen;
    });
  }

  async newChat() {
    // An empty chat is already a new one: the list does not fill with empty chats.
    const open = this.open;
    if (open && open.messages.every((m) => m.role === 'system') && !this.isBusy(open.chat.id)) return;
    // Shown empty at once: a question typed before the backend answers belongs to the new chat.
    this.choices++;
    this.open = null;
    await this.attempt(async () => {
      const chat = await this.newChatOnce();
      if (!this.open) this.open = { chat, messages: [] };
      await this.refreshList();
    });
  }

  /** The chat being made, or a new one: two callers at once get the same chat. */
  private async newChatOnce(): Promise<Chat> {
    if (!this.making) {
      this.making = this.api.newChat().finally(() => {
        this.making = null;
      });
    }
    return this.making;
  }

  /** Sends `text`; true once it was written (the caller clears the draft), false when it was
   * not sent (the draft stays, the error says why). */
  async send(text: string): Promise<boolean> {
    if (!text.trim() || !this.model || this.isBusy(this.open?.chat.id)) return false;
    const model = this.model;
    const files = [...this.attached];
    const sent = await this.attempt(async () => {
      if (!this.open) {
        const chat = await this.newChatOnce();
        if (!this.open) this.open = { chat, messages: [] };
      }
      const chatId = this.open.chat.id;
      await this.begin(chatId, () => this.api.send(chatId, text, model, files));
      await this.refreshList();
    });
    // Kept with the draft when the send failed (a file that cannot be read says why).
    if (sent) this.attached = this.attached.filter((f) => !files.includes(f));
    return sent;
  }

  /** Adds files to the next question (paths on this computer), each once. */
  attach(paths: string[]) {
    for (const p of paths.map((p) => p.trim()).filter(Boolean)) if (!this.attached.includes(p)) this.attached.push(p);
  }

  /** Takes a file off the next question. */
  detach(path: string) {
    this.attached = this.attached.filter((p) => p !== path);
  }

  /** Paths of files dropped on the desktop window; returns the function that stops listening. */
  onFilesDropped(listener: (paths: string[]) => void): () => void {
    return this.api.onFilesDropped(listener);
  }

  /** The system's file picker (desktop); false where there is none (a browser). */
  async pickAttachments(): Promise<boolean> {
    const paths = await this.api.pickFiles();
    if (paths === null) return false;
    this.attach(paths);
    return true;
  }

  /** Stops the open chat's replies; each is kept, marked stopped. */
  async stopReply() {
    const chatId = this.open?.chat.id;
    if (chatId !== undefined && this.isBusy(chatId)) await this.attempt(() => this.api.cancel(chatId));
  }

  async regenerate() {
    if (!this.open || !this.model) return;
    const chatId = this.open.chat.id;
    const model = this.model;
    await this.attempt(() => this.begin(chatId, () => this.api.regenerate(chatId, model)));
  }

  async edit(messageId: Id, text: string): Promise<boolean> {
    if (!this.open || !this.model || !text.trim()) return false;
    const chatId = this.open.chat.id;
    const model = this.model;
    return this.attempt(() => this.begin(chatId, () => this.api.edit(messageId, text, model)));
  }

  /** Starts a reply and follows it (unless it already ended), then shows the chat. */
  private async begin(chatId: Id, request: () => Promise<Started>) {
    this.sending = chatId;
    try {
      const started = await request();
      if (!this.endedEarly.delete(started.message_id)) this.replying[started.message_id] = started.chat_id;
    } finally {
      this.sending = null;
      this.endedEarly.clear();
    }
    await this.reload(chatId);
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
    // Search-as-you-type: an answer to an older query that arrives late is dropped.
    const asked = ++this.searches;
    if (!query.trim()) {
      this.results = null;
      return;
    }
    await this.attempt(async () => {
      const results = await this.api.search(query);
      if (asked === this.searches) this.results = results;
    });
  }

  async chooseModel(id: string) {
    this.model = id;
    await this.attempt(() => this.api.setDefaultModel(id));
  }

  /** Whether links in replies are opened by the backend (the desktop app). */
  get opensLinks(): boolean {
    return this.api.opensLinks;
  }

  /** Opens source `index` of a reply in the system's app (the desktop app). */
  async openSource(messageId: Id, index: number) {
    await this.attempt(async () => {
      await this.api.openSource(messageId, index);
    });
  }

  /** Opens a link from a reply in the system browser (the desktop app). */
  async openLink(url: string) {
    await this.attempt(() => this.api.openLink(url));
  }

  private async reload(chatId: Id) {
    if (this.open?.chat.id !== chatId) return;
    const choice = this.choices;
    const view = await this.api.chat(chatId);
    // Read again for a chat the person has left meanwhile: not shown.
    if (choice === this.choices && this.open?.chat.id === chatId) this.open = view;
  }

  onEvent(event: AppEvent) {
    switch (event.type) {
      case 'download':
        if (event.event === 'finished') void this.refreshModels();
        return;
      case 'collection':
        this.collections = withStatus(this.collections, event);
        return;
      case 'notice':
        this.notice = event.about;
        return;
      case 'model_loading':
        this.loading[event.message_id] = true;
        this.loadProgress = 0;
        return;
      case 'model_load_progress':
        // Loads for the local API also report; only a load a reply waits for is shown.
        if (Object.keys(this.loading).length > 0) this.loadProgress = event.progress;
        return;
      case 'token': {
        delete this.loading[event.message_id];
        this.loadProgress = null;
        const open = this.open;
        const message = open?.chat.id === event.chat_id ? open.messages.find((m) => m.id === event.message_id) : undefined;
        if (message) message.content += event.text;
        else if (open?.chat.id === event.chat_id) void this.reload(event.chat_id);
        return;
      }
      case 'reply_finished':
        delete this.loading[event.message_id];
        if (Object.keys(this.loading).length === 0) this.loadProgress = null;
        // The picker shows which model the engine now holds.
        void this.refreshModels().catch(() => {});
        if (event.message_id in this.replying) delete this.replying[event.message_id];
        else if (this.sending !== null) this.endedEarly.add(event.message_id);
        break;
      case 'message_added':
      case 'chat_changed':
        break;
    }
    if (this.open?.chat.id === event.chat_id) void this.reload(event.chat_id);
    void this.refreshList();
  }
}
