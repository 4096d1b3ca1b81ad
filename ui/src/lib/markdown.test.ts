import { describe, expect, it } from 'vitest';
import { renderMarkdown, splitThinking } from './markdown';

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
    const closed = dom(renderMarkdown('```rust\nfn main() {}\n```', true));
    expect(closed.querySelector('.hljs-keyword')?.textContent).toBe('fn');
  });

  it('highlights code and offers a copy button', () => {
    const root = dom(renderMarkdown('```rust\nfn main() { println!("hi"); }\n```'));
    expect(root.querySelector('pre code.hljs')).not.toBeNull();
    expect(root.querySelector('.hljs-keyword')?.textContent).toBe('fn');
    expect(root.querySelector('button.copy-code')).not.toBeNull();
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
