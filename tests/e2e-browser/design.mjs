// The design checks, in Debian's chromium against `hearth-cli serve` with the real test model:
// every state of the window (first run, empty chat, a conversation with a finished and a
// stopped reply, a reply the engine died under, a model loading, models, the catalog offline, LocalDocs, settings) photographed in light and dark, English and
// Chinese, at 1280×800 and 720×500 into $HEARTH_ARTIFACTS/design; an axe-core audit of each
// state in both themes with no serious or critical violation; and keyboard only: every
// control of the three main views reached with Tab shows a focus ring and is visible.
//
// Usage: node tests/e2e-browser/design.mjs   (after `make build`)

import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { freePort, stepRunner } from '../steps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'ui/package.json'));
const { chromium } = require('playwright-core');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/hearth/target');
const cli = process.env.HEARTH_CLI || path.join(target, 'release/hearth-cli');
const artifacts = path.join(process.env.HEARTH_ARTIFACTS || path.join(target, 'e2e-artifacts'), 'design');
const model = execFileSync(path.join(root, 'scripts/fetch-test-model')).toString().trim();
fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });

const data = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-design-'));
// The built-in catalog, with one model's server where nothing answers (a port just closed on
// 127.0.0.1): downloading it shows the offline state, at once since the server gives up
// without retrying.
const closedPort = await freePort();
const OFFLINE_MODEL = 'gemma-3-270m-it';
const catalogText = JSON.parse(fs.readFileSync(path.join(root, 'assets/catalog.json'), 'utf8'));
const offlineEntry = catalogText.models.find((m) => m.id === OFFLINE_MODEL);
offlineEntry.url = `http://127.0.0.1:${closedPort}/${offlineEntry.file}`;
const catalog = path.join(data, 'catalog.json');
fs.writeFileSync(catalog, JSON.stringify(catalogText));
let server = null;

/** `hearth-cli serve` on a free port with the built UI; resolves to its address. */
async function serve() {
  server = spawn(cli, ['--data-dir', data, 'serve', '--port', '0', '--ui', path.join(root, 'ui/dist'), '--catalog', catalog, '--download-retries', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const child = server;
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (/in your browser: /.test(line)) resolve(line.trim().split(': ')[1]);
    });
    child.on('exit', (code) => reject(new Error(`hearth-cli serve exited with ${code}`)));
  });
}

async function stopServer() {
  if (!server) return;
  const child = server;
  server = null;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await gone;
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
// The audit's script is put into the page, which the UI's CSP (rightly) refuses.
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce', bypassCSP: true });
const page = await context.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
const wait = { timeout: 60_000 };

const { step } = stepRunner(async () => {
  await page.screenshot({ path: path.join(artifacts, 'failure.png') }).catch(() => {});
  await cleanup();
});

async function cleanup() {
  await browser.close().catch(() => {});
  await stopServer();
  fs.rmSync(data, { recursive: true, force: true });
}

const sizes = [
  { name: '1280x800', width: 1280, height: 800 },
  { name: '720x500', width: 720, height: 500 },
];
const themes = ['light', 'dark'];
const languages = ['en', 'zh'];
const audited = [];
let shots = 0;

/** Sets the language (kept by the page) and the system's colour scheme, and reloads. */
async function look(language, theme) {
  await page.evaluate((l) => {
    localStorage.setItem('hearth-language', l);
    localStorage.setItem('hearth-theme', 'system');
  }, language);
  await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
  await page.reload();
}

/** Serious and critical axe violations on the page as it is, as lines of text. */
async function audit() {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.join(', ')}`);
}

/**
 * Photographs the state `name` in every look and size, auditing it in each theme; `show`
 * brings the page to the state after a reload.
 */
async function state(name, show) {
  const failures = [];
  for (const language of languages) {
    for (const theme of themes) {
      await look(language, theme);
      await show();
      for (const size of sizes) {
        await page.setViewportSize({ width: size.width, height: size.height });
        await page.waitForTimeout(150);
        await page.screenshot({ path: path.join(artifacts, `${name}-${theme}-${language}-${size.name}.png`) });
        shots++;
        // Narrow windows must not scroll sideways.
        const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        if (sideways > 0) failures.push(`${theme}/${language}/${size.name}: the page scrolls sideways by ${sideways} px`);
        if (language === 'en' || size.name === '1280x800') {
          const found = await audit();
          audited.push(`${name}-${theme}-${language}-${size.name}`);
          failures.push(...found.map((f) => `${theme}/${language}/${size.name}: ${f}`));
        }
      }
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  }
  if (failures.length) throw new Error(`\n  ${[...new Set(failures)].join('\n  ')}`);
}

/** The chat in the list that has replies (an empty one is called "New chat"). */
const answered = () => page.locator('.chat-list .chat-title', { hasNotText: /^(New chat|新对话)$/ }).first();

/** Opens a view by its rail tab, in either language. */
async function openView(en, zh) {
  await page.getByRole('tab', { name: new RegExp(`^(${en}|${zh})$`) }).click();
}

/**
 * Tabs through the page from its start: every control reached shows a focus ring and can be
 * seen (not transparent, not outside the window). Returns how many were reached.
 */
async function tabThrough(view) {
  await page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : null));
  await page.locator('body').focus();
  const seen = new Set();
  const problems = [];
  for (let i = 0; i < 200; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      let opacity = 1;
      for (let n = el; n; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
      const rect = el.getBoundingClientRect();
      const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
      // A field inside a framed box shows the ring on its frame.
      const frame = el.closest('.search-box, .composer-box');
      const framed = !!frame && getComputedStyle(frame).outlineStyle !== 'none';
      return {
        key: `${el.tagName}.${el.className}:${el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 30)}:${Math.round(rect.x)},${Math.round(rect.y)}`,
        ring: ring || framed,
        visible: opacity > 0.5 && rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0 && rect.top < innerHeight && rect.left < innerWidth,
      };
    });
    if (!focused) continue;
    if (seen.has(focused.key)) break;
    seen.add(focused.key);
    if (!focused.ring) problems.push(`no focus ring: ${focused.key}`);
    if (!focused.visible) problems.push(`focused but not visible: ${focused.key}`);
  }
  if (problems.length) throw new Error(`${view}:\n  ${problems.join('\n  ')}`);
  if (seen.size < 5) throw new Error(`${view}: only ${seen.size} controls reached with Tab`);
  return seen.size;
}

await step('first run, no model installed: the welcome offers the recommended model', async () => {
  await page.goto(await serve());
  await state('first-run', async () => {
    await page.locator('.welcome-card button').waitFor(wait);
  });
  await stopServer();
});

// The test model installed, one chat with a reply from the engine (a code block, greedy).
execFileSync(cli, ['--data-dir', data, 'models', 'import', model]);
execFileSync(cli, ['--data-dir', data, 'chat', '--model', model, '--temp', '0', '--max-tokens', '120',
  '--prompt', 'Show how to print hello in Python, in a fenced code block.'], { stdio: 'ignore' });

await step('an empty chat offers suggested prompts; one goes into the composer', async () => {
  await page.goto(await serve());
  await state('empty-chat', async () => {
    await page.locator('button.new-chat').click();
    await page.locator('.suggestion').first().waitFor(wait);
  });
  await look('en', 'light');
  await page.locator('button.new-chat').click();
  await page.locator('.suggestion').nth(2).click();
  const draft = await page.locator('.composer textarea').inputValue();
  if (!draft.includes('palindrome')) throw new Error(`the composer holds: ${draft}`);
  const focused = await page.evaluate(() => document.activeElement?.tagName);
  if (focused !== 'TEXTAREA') throw new Error(`focus is on ${focused}, not the composer`);
});

await step('a conversation: the question right, the reply left with its model, actions under it; a stopped reply marked', async () => {
  await look('en', 'light');
  // The chat the engine answered before the server started (the one below the empty chat).
  await answered().click();
  await page.locator('article.message.assistant .code').first().waitFor(wait);
  const meta = await page.locator('article.message.assistant .model-name').first().textContent();
  if (!/smol/i.test(meta ?? '')) throw new Error(`the reply is signed by "${meta}"`);
  const sides = await page.evaluate(() => {
    const user = document.querySelector('article.message.user .user-text').getBoundingClientRect();
    const reply = document.querySelector('article.message.assistant .markdown').getBoundingClientRect();
    return { userRight: user.right, replyLeft: reply.left, replyRight: reply.right };
  });
  if (!(sides.userRight > sides.replyLeft + 200)) throw new Error(`question and reply are not on their sides: ${JSON.stringify(sides)}`);
  // A long reply stopped with Esc is kept and marked, with what to do.
  await page.locator('.composer textarea').fill('Write a long essay about the history of France, at least 2000 words.');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Stop' }).waitFor(wait);
  // Stopped as soon as the reply has a few words: long before an essay of 2,000 words ends.
  await page.waitForFunction(() => (document.querySelector('.markdown.streaming')?.textContent?.length ?? 0) > 20, null, wait);
  await page.keyboard.press('Escape');
  await page.locator('article.message.assistant .note.interrupted').waitFor(wait);
  const shownWhileIdle = await page.locator('article.message.assistant').last().getByRole('button', { name: 'Regenerate' }).count();
  if (shownWhileIdle !== 1) throw new Error('the last reply has no Regenerate button');
  await state('conversation', async () => {
    await answered().click();
    await page.locator('article.message.assistant .note.interrupted').waitFor(wait);
  });
});

await step('the engine stopping under a reply: the reply kept, marked, saying what to do', async () => {
  await look('en', 'light');
  await page.locator('button.new-chat').click();
  await page.locator('.composer textarea').fill('Write a long story about a lighthouse keeper, at least 2000 words.');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => (document.querySelector('.markdown.streaming')?.textContent?.length ?? 0) > 20, null, wait);
  // The worker dies as it would when the computer runs out of memory.
  execFileSync('pkill', ['-KILL', '-f', path.join(target, 'release/hearth-engine')]);
  await page.locator('article.message.assistant .note.engine-stopped').waitFor(wait);
  // The newest chat is the one shown when the window opens.
  await state('engine-stopped', async () => {
    await page.locator('article.message.assistant .note.engine-stopped').waitFor(wait);
  });
});

/** Signals every engine worker of this build (the chat's and the embedder's). */
function signalWorkers(signal) {
  try {
    execFileSync('pkill', [`-${signal}`, '-f', path.join(target, 'release/hearth-engine')]);
  } catch {
    // pkill exits 1 when no worker runs.
  }
}

await step('model loading: the header shows the load and how far it is', async () => {
  // The worker is held still (SIGSTOP) once it has freed the model, so the next reply waits
  // for its load exactly as it does for a large model on a slow disk, for as long as the
  // photographs take; it goes on (SIGCONT) before the next look.
  const send = async () => {
    signalWorkers('CONT');
    // Unloading waits for the reply of the look before to end (one request at a time).
    await page.evaluate(async () => {
      const headers = { Authorization: `Bearer ${sessionStorage.getItem('hearth-token')}` };
      const answer = await fetch('/api/models/unload', { method: 'POST', headers });
      if (!answer.ok) throw new Error(`unload: ${answer.status}`);
    });
    await page.reload();
    await page.locator('.composer textarea').waitFor(wait);
    if (await page.locator('.chat-header .model-loaded').count()) throw new Error('the model is still shown as loaded');
    signalWorkers('STOP');
    await page.locator('.composer textarea').fill('Say hello in three words.');
    await page.keyboard.press('Enter');
    await page.locator('.chat-header .model-loading .load-percent').waitFor(wait);
  };
  await look('en', 'light');
  await page.locator('button.new-chat').click();
  await page.locator('.composer textarea').fill('Say hello in three words.');
  await page.keyboard.press('Enter');
  await page.locator('.chat-header .model-loaded').waitFor(wait);
  try {
    await state('model-loading', send);
  } finally {
    signalWorkers('CONT');
  }
  await page.locator('button.stop').waitFor({ ...wait, state: 'detached' });
});

await step('the models, LocalDocs and settings screens', async () => {
  await state('models', async () => {
    await openView('Models', '模型');
    await page.locator('.models table').waitFor(wait);
  });
  await state('catalog', async () => {
    await openView('Models', '模型');
    await page.getByRole('tab', { name: /^(Catalog|模型目录)$/ }).click();
    await page.locator('.catalog li').first().waitFor(wait);
    // A model with a draft names it, by its catalog name.
    const drafted = catalogText.models.find((m) => m.draft);
    const draftName = catalogText.models.find((m) => m.id === drafted.draft).name;
    await page.locator(`li[data-model="${drafted.id}"] .drafted-by`, { hasText: draftName }).waitFor(wait);
  });
  // Offline: the catalog is still there, and the failed download says why and what to do.
  await state('offline', async () => {
    await openView('Models', '模型');
    await page.getByRole('tab', { name: /^(Catalog|模型目录)$/ }).click();
    const card = page.locator(`li[data-model="${OFFLINE_MODEL}"]`);
    await card.getByRole('button', { name: /^(Download|下载|Resume|继续)$/ }).click();
    await card.locator('.download-failure').waitFor(wait);
    await page.locator('.offline-banner').scrollIntoViewIfNeeded();
  });
  await state('localdocs', async () => {
    await openView('LocalDocs', '本地文档');
    await page.locator('form.add-collection').waitFor(wait);
  });
  await state('settings', async () => {
    await openView('Settings', '设置');
    await page.locator('.settings-section').first().waitFor(wait);
  });
});

await step('a confirmation is a toast in the reader\'s language, not a banner', async () => {
  await look('zh', 'light');
  await openView('Settings', '设置');
  await page.getByRole('button', { name: '保存', exact: true }).click();
  await page.locator('.toast', { hasText: '设置已保存' }).waitFor(wait);
  if (await page.locator('.banner').count()) throw new Error('a banner was shown for a confirmation');
  await page.screenshot({ path: path.join(artifacts, 'toast-light-zh-1280x800.png') });
});

await step('keyboard only: every control of the three views reached with Tab shows a focus ring and is visible; Enter and Esc open and close the documents menu; Ctrl+B toggles the chat list', async () => {
  await look('en', 'light');
  const reached = {};
  for (const [view, show] of [
    ['Chat', async () => {
      await openView('Chat', '聊天');
      await answered().click();
    }],
    ['Models', async () => openView('Models', '模型')],
    ['Settings', async () => openView('Settings', '设置')],
  ]) {
    await show();
    reached[view] = await tabThrough(view);
  }
  // Enter opens the chat's documents menu, Esc closes it and gives the focus back.
  await openView('Chat', '聊天');
  await page.locator('.docs-picker summary').focus();
  await page.keyboard.press('Enter');
  await page.locator('.docs-picker[open] .docs-list').waitFor(wait);
  await page.keyboard.press('Escape');
  await page.locator('.docs-picker:not([open])').waitFor(wait);
  const back = await page.evaluate(() => document.activeElement?.tagName);
  if (back !== 'SUMMARY') throw new Error(`after Esc the focus is on ${back}`);
  // Ctrl+B hides and shows the chat list.
  await page.keyboard.press('Control+b');
  if (await page.locator('.chat-list').count()) throw new Error('Ctrl+B left the chat list shown');
  await page.keyboard.press('Control+b');
  await page.locator('.chat-list').waitFor(wait);
  console.log(`  reached with Tab: ${JSON.stringify(reached)}`);
});

await step('text at 200%: the chat stays usable (no sideways scroll, the rail labels fit, Send in view)', async () => {
  await look('en', 'light');
  await answered().click();
  await page.locator('article.message.assistant').first().waitFor(wait);
  await page.evaluate(() => (document.documentElement.style.fontSize = '200%'));
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(artifacts, 'conversation-text-200-light-en-1280x800.png') });
  const found = await page.evaluate(() => {
    const problems = [];
    const sideways = document.documentElement.scrollWidth - document.documentElement.clientWidth;
    if (sideways > 0) problems.push(`the page scrolls sideways by ${sideways} px`);
    for (const label of document.querySelectorAll('.rail-label')) {
      if (label.scrollWidth > label.parentElement.clientWidth) problems.push(`the rail label "${label.textContent}" does not fit`);
    }
    const send = document.querySelector('.composer .send')?.getBoundingClientRect();
    if (!send || send.bottom > innerHeight || send.right > innerWidth) problems.push(`Send is out of view: ${JSON.stringify(send)}`);
    return problems;
  });
  await page.evaluate(() => (document.documentElement.style.fontSize = ''));
  if (found.length) throw new Error(found.join('; '));
});

await step('no script errors on the page', async () => {
  if (errors.length) throw new Error(errors.join('\n'));
  console.log(`  ${shots} screenshots in ${artifacts}, ${audited.length} audits`);
});

await cleanup();
