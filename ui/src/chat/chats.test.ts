// The chat state's reply lifecycle, against a backend that answers as hearth-core does (this
// tests the UI's bookkeeping; the real backend's side is tested in Rust and the E2E suites).
import { describe, expect, it } from 'vitest';
import { BackendError, type AppEvent, type Backend, type ChatView, type Started } from '../lib/api';
import { Chats } from './chats.svelte';

const chat = { id: 1, title: 'New chat', created_at: 0, updated_at: 0, model: null, system_prompt: null, settings: null, pinned: false, archived: false, current_leaf: null, auto_title: true, collections: [] };

/** A backend whose `send` does what the test says, recording what it was asked. */
function backend(send: (chatId: number) => Promise<Started>): Backend & { cancelled: number[] } {
  const view: ChatView = { chat, messages: [] };
  const cancelled: number[] = [];
  const partial = {
    cancelled,
    models: async () => ({ models: [{ id: 'm', name: 'M', quant: null, size: 1 }], default: 'm' }),
    chats: async () => [chat],
    chat: async () => view,
    newChat: async () => chat,
    send: async (chatId: number) => send(chatId),
    regenerate: async (chatId: number) => send(chatId),
    edit: async () => send(1),
    cancel: async (chatId: number) => void cancelled.push(chatId),
  };
  return partial as unknown as Backend & { cancelled: number[] };
}

const finished = (message_id: number, status: 'complete' | 'error' = 'complete'): AppEvent => ({
  type: 'reply_finished',
  chat_id: 1,
  message_id,
  status,
  error: status === 'error' ? { kind: 'model_not_installed', message: 'gone' } : null,
});

describe('a reply has exactly one end', () => {
  it('is busy while a reply runs and free after reply_finished', async () => {
    const chats = new Chats(backend(async () => ({ chat_id: 1, message_id: 10 })));
    await chats.start();
    expect(await chats.send('Hi')).toBe(true);
    expect(chats.isBusy(1)).toBe(true);
    expect(chats.isReplying(10)).toBe(true);
    await chats.stopReply();
    chats.onEvent(finished(10));
    expect(chats.isBusy(1)).toBe(false);
  });

  // Regression guard: a send that failed (the model file was removed) left Stop on and lost
  // the typed question.
  it('keeps the draft and frees the composer when the send fails', async () => {
    const chats = new Chats(
      backend(async () => {
        throw new BackendError('no installed model "gone.gguf"', 404, 'model_not_installed');
      }),
    );
    await chats.start();
    expect(await chats.send('Hi')).toBe(false);
    expect(chats.isBusy(1)).toBe(false);
    expect(chats.error?.text).toContain('not installed');
    expect(chats.error?.detail).toContain('gone.gguf');
  });

  it('is not fooled by a reply that ends before its send answers', async () => {
    let chats!: Chats;
    chats = new Chats(
      backend(async () => {
        chats.onEvent(finished(11, 'error'));
        return { chat_id: 1, message_id: 11 };
      }),
    );
    await chats.start();
    expect(await chats.send('Hi')).toBe(true);
    expect(chats.isBusy(1)).toBe(false);
  });

  it('tracks two replies of one chat apart', async () => {
    let next = 20;
    const chats = new Chats(backend(async () => ({ chat_id: 1, message_id: next++ })));
    await chats.start();
    await chats.send('one');
    chats.onEvent(finished(20));
    await chats.regenerate();
    await chats.regenerate();
    expect(chats.isReplying(21) && chats.isReplying(22)).toBe(true);
    chats.onEvent(finished(21));
    expect(chats.isBusy(1)).toBe(true);
    chats.onEvent(finished(22));
    expect(chats.isBusy(1)).toBe(false);
  });

  it('shows the model loading until the first token', async () => {
    const chats = new Chats(backend(async () => ({ chat_id: 1, message_id: 30 })));
    await chats.start();
    await chats.send('Hi');
    chats.onEvent({ type: 'model_loading', chat_id: 1, message_id: 30, model: 'm.gguf' });
    expect(chats.loading[30]).toBe(true);
    chats.onEvent({ type: 'token', chat_id: 1, message_id: 30, text: 'P' });
    expect(chats.loading[30]).toBeUndefined();
  });

  it('shows how much of the model is read while a reply waits, and nothing after', async () => {
    const chats = new Chats(backend(async () => ({ chat_id: 1, message_id: 30 })));
    await chats.start();
    // A load for the local API, with no reply waiting, is not shown.
    chats.onEvent({ type: 'model_load_progress', model: 'm.gguf', progress: 0.5 });
    expect(chats.loadProgress).toBeNull();
    await chats.send('Hi');
    chats.onEvent({ type: 'model_loading', chat_id: 1, message_id: 30, model: 'm.gguf' });
    expect(chats.loadProgress).toBe(0);
    chats.onEvent({ type: 'model_load_progress', model: 'm.gguf', progress: 0.42 });
    expect(chats.loadProgress).toBe(0.42);
    chats.onEvent(finished(30, 'error'));
    expect(chats.loadProgress).toBeNull();
  });
});

describe('search as you type', () => {
  // Regression guard: the answer to "Ro" arrived after the answer to "Rome" and replaced it.
  it('shows the newest query\'s results even when an older answer arrives last', async () => {
    const answers: Record<string, (hits: unknown[]) => void> = {};
    const api = {
      ...backend(async () => ({ chat_id: 1, message_id: 1 })),
      search: (q: string) => new Promise((resolve) => (answers[q] = resolve)),
    } as unknown as Backend;
    const chats = new Chats(api);
    const older = chats.search('Ro');
    const newer = chats.search('Rome');
    answers['Rome']([{ chat_id: 1, chat_title: 'Rome', message_id: 2, snippet: [] }]);
    await newer;
    answers['Ro']([1, 2, 3]);
    await older;
    expect(chats.results?.length).toBe(1);
  });
});

describe('documents for a chat', () => {
  it('switches collections on and off for the open chat, making one when there is none', async () => {
    const asked: [number, string[]][] = [];
    const api = {
      ...backend(async () => ({ chat_id: 1, message_id: 10 })),
      newChat: async () => ({ ...chat, collections: [] }),
      collections: async () => [{ id: 1, name: 'Notes', folders: [], embedding_model: 'e', created_at: 0, files: 2, chunks: 9, unreadable: 0 }],
      setChatCollections: async (id: number, names: string[]) => void asked.push([id, [...names]]),
    } as unknown as Backend;
    const chats = new Chats(api);
    await chats.refreshCollections();
    expect(chats.collections.map((c) => c.name)).toEqual(['Notes']);
    expect(chats.open).toBeNull();
    await chats.toggleCollection('Notes', true);
    expect(chats.open?.chat.collections).toEqual(['Notes']);
    await chats.toggleCollection('Notes', true);
    await chats.toggleCollection('Notes', false);
    expect(asked).toEqual([
      [1, ['Notes']],
      [1, ['Notes']],
      [1, []],
    ]);
    expect(chats.open?.chat.collections).toEqual([]);
  });

  it('keeps the choice as it was when the backend refuses it', async () => {
    const api = {
      ...backend(async () => ({ chat_id: 1, message_id: 10 })),
      newChat: async () => ({ ...chat, collections: [] }),
      setChatCollections: async () => {
        throw new BackendError('there is no document collection named "Gone"', 404, 'not_found');
      },
    } as unknown as Backend;
    const chats = new Chats(api);
    await chats.toggleCollection('Gone', true);
    expect(chats.open?.chat.collections).toEqual([]);
    expect(chats.error).not.toBeNull();
  });
});

// Regression guard (a browser E2E flake, twice): a question typed right after "New chat", while
// the backend was still making it, went into the chat shown before, and the new chat stayed empty.
describe('New chat', () => {
  const question = { id: 5, chat_id: 1, parent_id: null, role: 'user', content: 'Which is the largest?', status: 'complete', versions: [5] };

  it('keeps an empty chat that is open instead of making another', async () => {
    let newChats = 0;
    const api = {
      models: async () => ({ models: [{ id: 'm', name: 'M', quant: null, size: 1, remote: null }], default: 'm' }),
      chats: async () => [chat],
      chat: async () => ({ chat, messages: [] }),
      newChat: async () => {
        newChats += 1;
        return chat;
      },
    } as unknown as Backend;
    const chats = new Chats(api);
    await chats.newChat();
    await chats.newChat();
    await chats.newChat();
    expect(newChats).toBe(1);
    expect(chats.open?.chat.id).toBe(1);
  });

  it('takes a question sent while it is being made', async () => {
    const old = { ...chat, id: 1, title: 'Capitals of Europe' };
    const made = { ...chat, id: 2 };
    let finishMaking: () => void = () => {};
    const sentTo: number[] = [];
    let newChats = 0;
    const api = {
      models: async () => ({ models: [{ id: 'm', name: 'M', quant: null, size: 1, remote: null }], default: 'm' }),
      chats: async () => [made, old],
      chat: async (id: number) => ({ chat: id === 2 ? made : old, messages: id === 2 ? [] : [question] }),
      newChat: () => {
        newChats += 1;
        return new Promise((resolve) => (finishMaking = () => resolve(made)));
      },
      send: async (chatId: number) => {
        sentTo.push(chatId);
        return { chat_id: chatId, message_id: 10 };
      },
    } as unknown as Backend;
    const chats = new Chats(api);
    await chats.refreshModels();
    await chats.select(1);
    const making = chats.newChat();
    const sending = chats.send('Write a long essay');
    finishMaking();
    await Promise.all([making, sending]);
    expect(sentTo).toEqual([2]);
    expect(newChats).toBe(1);
    expect(chats.open?.chat.id).toBe(2);
  });
});

// Regression guard (a browser E2E failure): a chat read for an older choice, or read again after
// an event, arrived after the person had chosen another chat and replaced it on screen.
describe('choosing a chat', () => {
  const capitals = { ...chat, id: 1, title: 'Capitals of Europe' };
  const garden = { ...chat, id: 2, title: 'Garden' };
  /** A backend whose reads of the chats in `slow` wait until `release` is called. */
  function backend(slow: Set<number>) {
    const pending: (() => void)[] = [];
    const api = {
      chat: (id: number) =>
        new Promise((resolve) => {
          const view = { chat: id === 1 ? capitals : garden, messages: [] };
          if (slow.has(id)) pending.push(() => resolve(view));
          else resolve(view);
        }),
      chats: async () => [capitals, garden],
    } as unknown as Backend;
    return { api, release: () => pending.shift()?.() };
  }

  it('shows the chat chosen last, whatever order the reads come back in', async () => {
    const { api, release } = backend(new Set([1]));
    const chats = new Chats(api);
    const first = chats.select(1);
    await chats.select(2);
    release();
    await first;
    expect(chats.open?.chat.id).toBe(2);
  });

  it('does not bring back a chat read again after an event once another was chosen', async () => {
    const slow = new Set<number>();
    const { api, release } = backend(slow);
    const chats = new Chats(api);
    await chats.select(1);
    slow.add(1);
    chats.onEvent({ type: 'chat_changed', chat_id: 1 });
    await chats.select(2);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(chats.open?.chat.id).toBe(2);
  });
});
