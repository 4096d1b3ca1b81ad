// Model output to safe HTML: Markdown (marked), raw HTML shown as text, code highlighted
// (highlight.js), `<think>` sections folded, and DOMPurify over the result as a second wall.
// Links keep `target="_blank" rel="noopener noreferrer"` so a click never replaces the app's
// own page (the desktop app also routes them to the system browser).
//
// A streamed reply is rendered block by block (`renderBlocks`): a finished paragraph, list or
// code block keeps its HTML (keyed by its source) and only the block being written is rendered
// again for each token, so the cost of a token does not grow with the length of the reply.
// Highlighting is the costly part: a block's highlighted form is kept, and a block still being
// written is shown plain until its fence closes.

import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/common';
import { Marked } from 'marked';
import { locale, t } from './i18n.svelte';

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Highlighted code by language and text; a streamed reply re-renders its closed blocks often. */
const highlighted = new Map<string, string>();
const HIGHLIGHT_CACHE = 200;

/**
 * The languages a fence without a name is guessed among. Guessing runs every language given on
 * the whole text (all 37 of highlight.js's common set: 140 ms for 3 KB, which freezes the
 * window); the few that chats are mostly written in keep a guess to a few milliseconds.
 */
const GUESSED = ['python', 'javascript', 'typescript', 'bash', 'json', 'rust', 'cpp', 'sql'];
/** Longer unnamed blocks are shown plain: even a short list of guesses grows with the text. */
const GUESS_LIMIT = 2000;

function highlight(text: string, language: string | undefined): string {
  const key = `${language ?? ''}\u0000${text}`;
  const cached = highlighted.get(key);
  if (cached !== undefined) return cached;
  const html = language
    ? hljs.highlight(text, { language }).value
    : text.length <= GUESS_LIMIT
      ? hljs.highlightAuto(text, GUESSED).value
      : escapeHtml(text);
  if (highlighted.size >= HIGHLIGHT_CACHE) highlighted.delete(highlighted.keys().next().value as string);
  highlighted.set(key, html);
  return html;
}

/** Whether a fenced block's source ends with its closing fence. */
function isClosed(raw: string): boolean {
  return /\n {0,3}(`{3,}|~{3,})[ \t]*\n?$/.test(raw) || !/^ {0,3}(`{3,}|~{3,})/.test(raw);
}

// highlight.js compiles a language's grammar the first time it is used (Java's takes ~55 ms,
// most 2-20 ms): doing that for every language it knows, one at a time while the page is idle
// (the likeliest first), keeps a code block from stalling a streamed reply.
function warmUp(languages: string[]): void {
  const language = languages.shift();
  if (language === undefined) return;
  if (hljs.getLanguage(language)) hljs.highlight('', { language });
  later(() => warmUp(languages));
}

/** Whether highlighting `language` now would first compile its grammar. */
function uncompiled(language: string): boolean {
  return !(hljs.getLanguage(language) as { isCompiled?: boolean } | undefined)?.isCompiled;
}
function later(run: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(run);
  else setTimeout(run, 50);
}
if (typeof window !== 'undefined') {
  later(() => warmUp([...GUESSED, ...hljs.listLanguages().filter((l) => !GUESSED.includes(l))]));
}

let streamingRender = false;

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    // A model's HTML is text to show, never markup to run.
    html({ text }) {
      return escapeHtml(text);
    },
    code({ text, lang, raw }) {
      const language = lang && hljs.getLanguage(lang) ? lang : undefined;
      // While streaming, a block is highlighted once closed, and only in a grammar already
      // compiled (see warmUp); the finished reply is rendered again in full.
      const plain = streamingRender && (!isClosed(raw) || (language !== undefined && uncompiled(language)));
      const body = plain ? escapeHtml(text) : highlight(text, language);
      const label = escapeHtml(language ?? 'text');
      return `<div class="code"><div class="code-bar"><span>${label}</span><button type="button" class="copy-code" aria-label="${t('copyCode')}">${t('copy')}</button></div><pre tabindex="0"><code class="hljs">${body}</code></pre></div>`;
    },
    link({ href, text }) {
      const safe = /^(https?:|mailto:)/i.test(href) ? href : '#';
      return `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
    },
    image({ text }) {
      // Remote images would tell a server someone read this; show the alt text instead.
      return escapeHtml(text ? `[image: ${text}]` : '[image]');
    },
  },
});

/** A reply split into its reasoning (`<think>…</think>`) and its answer. */
export function splitThinking(content: string): { thinking: string | null; answer: string } {
  const match = /^\s*<think>([\s\S]*?)(<\/think>|$)/.exec(content);
  if (!match) return { thinking: null, answer: content };
  return { thinking: match[1].trim(), answer: content.slice(match[0].length).trimStart() };
}

function sanitize(html: string): string {
  return DOMPurify.sanitize(html, {
    FORBID_TAGS: ['style', 'form', 'input', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
    // The renderer's own link attributes; DOMPurify drops `target` unless told.
    ADD_ATTR: ['target'],
  });
}

/** Safe HTML for a piece of Markdown; `streaming` while the reply is still being written. */
export function renderMarkdown(text: string, streaming = false): string {
  return renderBlocks(text, streaming).join('');
}

/** Streamed texts lexed lately with their tokens: a reply that grows is lexed again only from
 * its last blocks, so a token's cost does not grow with the reply. A few are kept: a reply's
 * thinking and answer stream side by side. */
const lexed: { text: string; tokens: Tokens }[] = [];
const LEXED_KEEP = 4;
/** Shown blocks lexed again at the end of a growing text: a new line can still change the last
 * block (a list item, a setext heading, a table row), never one two blank lines back. */
const RELEXED = 3;

type Tokens = ReturnType<Marked['lexer']>;

/** Markdown's tokens; while `streaming`, a text that extends one lexed lately keeps that one's
 * tokens up to the blank line before its last blocks and lexes only the rest. */
export function lex(text: string, streaming = false): Tokens {
  if (!streaming) return marked.lexer(text);
  const tokens = lexTail(text) ?? marked.lexer(text);
  const same = lexed.findIndex((l) => text.startsWith(l.text));
  if (same >= 0) lexed.splice(same, 1);
  lexed.push({ text, tokens });
  if (lexed.length > LEXED_KEEP) lexed.shift();
  return tokens;
}

function lexTail(text: string): Tokens | null {
  // Carriage returns are rewritten by the lexer, so offsets in the tokens would not be the text's.
  if (text.includes('\r')) return null;
  let before: { text: string; tokens: Tokens } | undefined;
  for (const l of lexed) if (text.startsWith(l.text) && (!before || l.text.length > before.text.length)) before = l;
  // Reference links resolve against the whole text: such a text is lexed whole.
  if (!before || Object.keys(before.tokens.links).length > 0) return null;
  const tokens = before.tokens;
  let shownAfter = 0;
  let cut = -1;
  for (let i = tokens.length - 1; i >= 0; i--) {
    if (tokens[i].type !== 'space') shownAfter += 1;
    else if (shownAfter >= RELEXED) {
      cut = i;
      break;
    }
  }
  if (cut < 0) return null;
  const frozen = tokens.slice(0, cut + 1);
  const offset = frozen.reduce((n, t) => n + t.raw.length, 0);
  if (before.text.slice(0, offset) !== frozen.map((t) => t.raw).join('')) return null;
  const tail = marked.lexer(text.slice(offset));
  if (Object.keys(tail.links).length > 0) return null;
  return Object.assign([...frozen, ...tail], { links: tail.links });
}

/** Finished blocks' safe HTML by their source; a long reply's blocks all fit. */
const blocks = new Map<string, string>();
const BLOCK_CACHE = 2000;
/** The same by the lexed token itself: a streamed reply's finished blocks keep their tokens
 * from one lex to the next (see `lexTail`), so for each new token they are found without
 * building a key the length of the reply (garbage that grew the page's collector pauses). */
const blockOfToken = new WeakMap<object, { language: string; html: string }>();

/**
 * Safe HTML for each top-level block of a piece of Markdown (paragraph, list, code block,
 * table ...), in order; joined they are `renderMarkdown`'s result. With `streaming`, the last
 * block is the one being written: it alone is rendered afresh, the others come from the cache.
 */
export function renderBlocks(text: string, streaming = false): string[] {
  const tokens = lex(text, streaming);
  // Reference-style links resolve against the whole text, so such a text is not cached by block.
  const cacheable = Object.keys(tokens.links).length === 0;
  const shown = (type: string) => type !== 'space' && type !== 'def';
  let last = tokens.length - 1;
  while (last >= 0 && !shown(tokens[last].type)) last -= 1;
  const out: string[] = [];
  tokens.forEach((token, i) => {
    if (!shown(token.type)) return;
    const open = streaming && i === last;
    // The block being written changes with every token: caching it would only push out others.
    const keep = cacheable && !open;
    const known = keep ? blockOfToken.get(token) : undefined;
    if (known !== undefined && known.language === locale.language) {
      out.push(known.html);
      return;
    }
    // The code bar's words are in the window's language.
    const key = `${open ? 'open' : 'done'}\u0000${locale.language}\u0000${token.raw}`;
    const cached = keep ? blocks.get(key) : undefined;
    if (cached !== undefined) {
      blockOfToken.set(token, { language: locale.language, html: cached });
      out.push(cached);
      return;
    }
    const one = Object.assign([token], { links: tokens.links });
    streamingRender = open;
    let html: string;
    try {
      html = sanitize(marked.parser(one));
    } finally {
      streamingRender = false;
    }
    if (keep) {
      if (blocks.size >= BLOCK_CACHE) blocks.delete(blocks.keys().next().value as string);
      blocks.set(key, html);
      blockOfToken.set(token, { language: locale.language, html });
    }
    out.push(html);
  });
  return out;
}

// Every link that survives sanitising opens apart from the app's page, without a referrer.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});
