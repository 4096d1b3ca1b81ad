// Model output to safe HTML: Markdown (marked), raw HTML shown as text, code highlighted
// (highlight.js), `<think>` sections folded, and DOMPurify over the result as a second wall.
// Links keep `target="_blank" rel="noopener noreferrer"` so a click never replaces the app's
// own page (the desktop app also routes them to the system browser).
//
// Highlighting is the costly part of a streamed reply: a block's highlighted form is kept
// (keyed by its text), and a block still being written is shown plain until its fence closes.

import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/common';
import { Marked } from 'marked';

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

function highlight(text: string, language: string | undefined): string {
  const key = `${language ?? ''}\u0000${text}`;
  const cached = highlighted.get(key);
  if (cached !== undefined) return cached;
  const html = language ? hljs.highlight(text, { language }).value : hljs.highlightAuto(text).value;
  if (highlighted.size >= HIGHLIGHT_CACHE) highlighted.delete(highlighted.keys().next().value as string);
  highlighted.set(key, html);
  return html;
}

/** Whether a fenced block's source ends with its closing fence. */
function isClosed(raw: string): boolean {
  return /\n {0,3}(`{3,}|~{3,})[ \t]*\n?$/.test(raw) || !/^ {0,3}(`{3,}|~{3,})/.test(raw);
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
      const body = streamingRender && !isClosed(raw) ? escapeHtml(text) : highlight(text, language);
      const label = escapeHtml(language ?? 'text');
      return `<div class="code"><div class="code-bar"><span>${label}</span><button type="button" class="copy-code" aria-label="Copy code">Copy</button></div><pre><code class="hljs">${body}</code></pre></div>`;
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

/** Safe HTML for a piece of Markdown; `streaming` while the reply is still being written. */
export function renderMarkdown(text: string, streaming = false): string {
  streamingRender = streaming;
  let html: string;
  try {
    html = marked.parse(text, { async: false }) as string;
  } finally {
    streamingRender = false;
  }
  return DOMPurify.sanitize(html, {
    FORBID_TAGS: ['style', 'form', 'input', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
    // The renderer's own link attributes; DOMPurify drops `target` unless told.
    ADD_ATTR: ['target'],
  });
}

// Every link that survives sanitising opens apart from the app's page, without a referrer.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});
