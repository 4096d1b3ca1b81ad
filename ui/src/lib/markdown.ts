// Model output to safe HTML: Markdown (marked), raw HTML shown as text, code highlighted
// (highlight.js), `<think>` sections folded, and DOMPurify over the result as a second wall.

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

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    // A model's HTML is text to show, never markup to run.
    html({ text }) {
      return escapeHtml(text);
    },
    code({ text, lang }) {
      const language = lang && hljs.getLanguage(lang) ? lang : undefined;
      const body = language
        ? hljs.highlight(text, { language }).value
        : hljs.highlightAuto(text).value;
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

/** Safe HTML for a piece of Markdown. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false }) as string;
  return DOMPurify.sanitize(html, {
    FORBID_TAGS: ['style', 'form', 'input', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
  });
}
