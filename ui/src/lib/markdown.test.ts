import { describe, expect, it, vi } from 'vitest';
import hljs from 'highlight.js/lib/common';
import { lex, renderBlocks, renderMarkdown, splitThinking } from './markdown';
import { Marked } from 'marked';

function dom(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

describe('renderMarkdown', () => {
  it('renders Markdown', () => {
    const html = renderMarkdown('**Paris** is the *capital*.\n\n- one\n- two');
    const root = dom(html);
    expect(root.querySelector('strong')?.textContent).toBe('Paris');
    expect(root.querySelectorAll('li')).toHaveLength(2);
  });

  it('shows raw HTML as text and runs nothing', () => {
    const attack = 'Look: <img src=x onerror=alert(1)> and <script>alert(2)</script> <a href="javascript:alert(3)">x</a>';
    const root = dom(renderMarkdown(attack));
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('script')).toBeNull();
    expect(root.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(root.textContent).toContain('<script>alert(2)</script>');
    const handlers = [...root.querySelectorAll('*')].flatMap((el) =>
      [...el.attributes].filter((a) => a.name.startsWith('on')),
    );
    expect(handlers).toHaveLength(0);
    expect(root.querySelector('a[href^="javascript"]')).toBeNull();
  });

  it('never lets a Markdown link or image run script', () => {
    const root = dom(renderMarkdown('[click](javascript:alert(1)) ![x](http://tracker.example/p.png)'));
    expect(root.querySelector('a')?.getAttribute('href')).toBe('#');
    expect(root.querySelector('img')).toBeNull();
    expect(root.textContent).toContain('[image: x]');
  });

  // Regression guard: DOMPurify dropped the renderer's `target`, so a link in a reply replaced
  // the app's own page when clicked.
  it('keeps links out of the app page: target _blank, no opener, no referrer', () => {
    const root = dom(renderMarkdown('[Renew](https://evil.example/renew) and <https://example.org>'));
    const links = [...root.querySelectorAll('a')];
    expect(links.length).toBeGreaterThanOrEqual(1);
    for (const link of links) {
      expect(link.getAttribute('target')).toBe('_blank');
      expect(link.getAttribute('rel')).toBe('noopener noreferrer');
    }
  });

  it('shows a code block still being written plain, and highlights it once closed', () => {
    const open = dom(renderMarkdown('```rust\nfn main() {', true));
    expect(open.querySelector('pre code')?.textContent).toContain('fn main');
    expect(open.querySelector('.hljs-keyword')).toBeNull();
    // Rust's grammar compiled (as the page does while idle): a closed block is highlighted.
    renderMarkdown('```rust\nfn x() {}\n```');
    const closed = dom(renderMarkdown('```rust\nfn main() {}\n```', true));
    expect(closed.querySelector('.hljs-keyword')?.textContent).toBe('fn');
  });

  it('never compiles a grammar in the middle of a stream, and highlights the finished reply', async () => {
    const hljs = (await import('highlight.js/lib/common')).default;
    const language = hljs.listLanguages().find((l) => !(hljs.getLanguage(l) as { isCompiled?: boolean }).isCompiled);
    if (language === undefined) return; // every grammar already warmed up: nothing left to test
    const source = `\`\`\`${language}\nreturn 1;\n\`\`\``;
    renderMarkdown(source, true);
    expect((hljs.getLanguage(language) as { isCompiled?: boolean }).isCompiled).toBeFalsy();
    renderMarkdown(source);
    expect((hljs.getLanguage(language) as { isCompiled?: boolean }).isCompiled).toBe(true);
  });

  it('highlights code and offers a copy button', () => {
    const root = dom(renderMarkdown('```rust\nfn main() { println!("hi"); }\n```'));
    expect(root.querySelector('pre code.hljs')).not.toBeNull();
    expect(root.querySelector('.hljs-keyword')?.textContent).toBe('fn');
    expect(root.querySelector('button.copy-code')).not.toBeNull();
  });
});

describe('renderBlocks', () => {
  const reply = [
    '# Sorting',
    'Here is **one** way:',
    '```python\ndef sort(xs):\n    return sorted(xs)\n```',
    '- fast\n- short',
    '| a | b |\n| - | - |\n| 1 | 2 |',
    'A [link][home] and a > quote.\n\n[home]: https://example.org',
  ].join('\n\n');

  it('joined, the blocks are the whole reply rendered at once', () => {
    for (let end = 1; end <= reply.length; end += 7) {
      const text = reply.slice(0, end);
      const whole = dom(renderMarkdown(text, true)).innerHTML;
      expect(dom(renderBlocks(text, true).join('')).innerHTML).toBe(whole);
    }
    expect(renderBlocks(reply)).toHaveLength(6);
  });

  it('a streamed reply renders only its last block again for each token', () => {
    const spy = vi.spyOn(hljs, 'highlight');
    const unique = Math.random().toString(36).slice(2);
    const head = `Intro\n\n\`\`\`rust\nfn main() { let x_${unique} = 1; }\n\`\`\`\n\n`;
    const first = renderBlocks(head + 'The end', true);
    expect(spy).toHaveBeenCalledTimes(1);
    // Each new piece of the last paragraph: the finished blocks come back as the same strings
    // and the closed code block is not highlighted again.
    let previous = first;
    for (const more of [' is', ' near', ' now.']) {
      const next = renderBlocks(head + 'The end' + more, true);
      expect(next.slice(0, 2)).toEqual(previous.slice(0, 2));
      expect(next[2]).not.toBe(previous[2]);
      previous = next;
    }
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it('a code block being written stays plain until it closes, even between other blocks', () => {
    const open = renderBlocks('Intro\n\n```rust\nfn main() {', true);
    expect(dom(open[1]).querySelector('.hljs-keyword')).toBeNull();
    const closed = renderBlocks('Intro\n\n```rust\nfn main() {}\n```\n\nAfter', true);
    expect(dom(closed[1]).querySelector('.hljs-keyword')?.textContent).toBe('fn');
  });

  it('keeps every block inert', () => {
    const html = renderBlocks('Hi\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(2))', true).join('');
    const root = dom(html);
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('a')?.getAttribute('href')).toBe('#');
  });
});

describe('splitThinking', () => {
  it('separates a think block', () => {
    expect(splitThinking('<think>Let me see.</think>\nParis.')).toEqual({ thinking: 'Let me see.', answer: 'Paris.' });
  });
  it('keeps a reply without one', () => {
    expect(splitThinking('Paris.')).toEqual({ thinking: null, answer: 'Paris.' });
  });
  it('treats an unfinished think block as all thinking', () => {
    expect(splitThinking('<think>still going')).toEqual({ thinking: 'still going', answer: '' });
  });
});

describe('lex while streaming', () => {
  const documents = [
    [
      '# Plan', 'Intro with **bold** and `code`.', '- one\n- two\n\n- three, loose\n\n  continued',
      '```python\ndef f():\n\n    return 1\n```', 'Title\n=====', '| a | b |\n| - | - |\n| 1 | 2 |\n| 3 | 4 |',
      '> quote\n> more', '    indented\n\n    code', '1. first\n2. second', '<div>\n\nhtml\n\n</div>', 'The end.',
    ].join('\n\n'),
    'Para one.\n\nPara two.\n\n```\nunclosed fence\n\nstill code',
    'A\n\nB\n\n[ref]: https://example.org\n\nC [x][ref]',
  ];

  // Regression guard: token by token, the tokens of a growing text equal a fresh lex of it.
  it('gives the tokens of a whole lex at every length', () => {
    const strip = (tokens: ReturnType<typeof lex>) => JSON.stringify(tokens.map((t) => [t.type, t.raw]));
    for (const doc of documents) {
      for (let end = 1; end <= doc.length; end += 1) {
        const text = doc.slice(0, end);
        expect(strip(lex(text, true)), `at ${end} of ${JSON.stringify(doc.slice(0, 30))}`).toBe(strip(lex(text)));
      }
    }
  });

  it('lexes only the end of a long growing reply', () => {
    const paragraphs = Array.from({ length: 400 }, (_, i) => `Paragraph ${i} says something about item ${i}.`).join('\n\n');
    lex(paragraphs, true);
    const spy = vi.spyOn(Marked.prototype, 'lexer');
    lex(paragraphs + ' More', true);
    const lexedLength = (spy.mock.calls[0]?.[0] as string | undefined)?.length ?? Infinity;
    spy.mockRestore();
    expect(lexedLength).toBeLessThan(400);
  });
});
