// Desktop E2E: the release `hearth` binary in a real WebKitGTK window under Xvfb, driven
// through tauri-driver + WebKitWebDriver (plain WebDriver over HTTP), with the real test model.
// Steps: the window opens; a chat round trip through Tauri IPC; the worker is killed
// mid-reply, the window says so, and the next message works; the local API switch; a GGUF file
// added through the system's file picker (a real GTK dialog, typed into with xdotool) and one
// dragged onto the window from another GTK program (drag-source.py, X drag and drop); "Open"
// data folder hands the folder to the desktop's opener (xdg-open, recorded by a stand-in on
// PATH, since there is no file manager under Xvfb); a reply's source (LocalDocs) opens through the
// same opener, and a source path from an imported chat is refused; a LocalDocs collection made
// with the system folder picker (GTK's, typed into with xdotool) reaches ready; a remote provider
// (another `hearth-cli serve`) added in Settings answers a chat marked remote; the window's size and position remembered
// across a restart; a second launch hands over to the running app (single instance, over this
// run's own D-Bus session bus); the tray icon's menu, clicked through a stand-in panel
// (tray-host.py): Show brings a hidden window back, Quit ends the app and its worker. Screenshots of the real window in $HEARTH_ARTIFACTS (default
// <target>/e2e-artifacts).

import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stepRunner } from '../steps.mjs';

// xdg-open as the desktop's opener would be called: this one writes down what it was asked to open.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-e2e-'));
const opened = path.join(scratch, 'xdg-open.log');
fs.mkdirSync(path.join(scratch, 'bin'));
fs.writeFileSync(path.join(scratch, 'bin/xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${opened}'\n`, { mode: 0o755 });
process.env.PATH = `${path.join(scratch, 'bin')}:${process.env.PATH}`;
const { appBinary, appEnv, artifacts, askCapitalOfFrance, expectWindowWithTestModel, chooseGreedySampling, cleanup, click, configHome, data, display, openTab, relaunch, root, run, s, screenshot, sleep, target, tray, type, until, wd } =
  await import('./driver.mjs');

async function finish() {
  await cleanup();
  fs.rmSync(scratch, { recursive: true, force: true });
}
const { step, passed } = stepRunner(async () => {
  await screenshot('desktop-failure.png').catch(() => {});
  await finish();
});

/** Runs xdotool on the test's display. */
function xdotool(...args) {
  return execFileSync('xdotool', args, { env: { ...process.env, DISPLAY: display }, timeout: 10_000 }).toString().trim();
}

/** The visible GTK dialog titled `title` (it is GTK's own window, outside WebDriver). */
async function gtkDialog(title) {
  for (let i = 0; i < 100; i++) {
    try {
      return xdotool('search', '--onlyvisible', '--name', `^${title}$`).split('\n')[0];
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`the dialog "${title}" did not open`);
}

const lastReply = `const r = [...document.querySelectorAll('article.message.assistant')].at(-1);`;

await step('the window opens with the installed model', expectWindowWithTestModel);

await step('greedy sampling set in Settings, through IPC', chooseGreedySampling);

await step('a chat round trip through Tauri IPC names Paris', async () => {
  await askCapitalOfFrance();
  await screenshot('desktop-chat.png');
});

await step('the worker killed mid-reply: the window says so, and the next message works', async () => {
  await click('button.new-chat');
  await type('.composer textarea', 'Write a long essay about the history of France, at least 2000 words.');
  await click('.composer button[type=submit]');
  await until('the reply to stream', `${lastReply} return r && r.textContent.length > 80;`);
  const workers = execFileSync('pgrep', ['-f', path.join(target, 'release/hearth-engine')]).toString().trim().split('\n');
  for (const pid of workers) process.kill(Number(pid), 'SIGKILL');
  await until('the engine-stopped note', `return !!document.querySelector('.engine-stopped');`);
  const note = await wd('POST', s('/execute/sync'), { script: `return document.querySelector('.engine-stopped').textContent;`, args: [] });
  if (!/engine/i.test(note)) throw new Error(`note: ${note}`);
  await screenshot('desktop-engine-stopped.png');
  // In a fresh chat, so the answer does not continue the essay's context.
  await askCapitalOfFrance();
});

await step('the local API server: off by default, switched on in Settings, answers with the token, a new key locks the old one out, off again', async () => {
  await openTab('Settings');
  await until('the API switch', `return !!document.querySelector('.api-switch');`);
  const off = await wd('POST', s('/execute/sync'), { script: `return document.querySelector('.api-switch').checked;`, args: [] });
  if (off) throw new Error('the API server was on by default');
  // A free port for this run.
  const port = 20000 + Math.floor(Math.random() * 20000);
  await wd('POST', s('/execute/sync'), {
    script: `const p = document.querySelector('.api-port'); p.value = String(arguments[0]); p.dispatchEvent(new Event('input', { bubbles: true }));
             document.querySelector('.api-switch').click(); return true;`,
    args: [port],
  });
  const url = await until('the API URL', `return document.querySelector('.api-url')?.textContent;`);
  const token = await until('the token', `return document.querySelector('.api-token')?.textContent;`);
  if (url !== `http://127.0.0.1:${port}/v1`) throw new Error(`url ${url}`);
  const refused = await fetch(`${url}/models`);
  if (refused.status !== 401) throw new Error(`no token gave ${refused.status}`);
  const models = await (await fetch(`${url}/models`, { headers: { Authorization: `Bearer ${token}` } })).json();
  if (!models.data.some((m) => m.id === 'smollm2-135m-instruct')) throw new Error(JSON.stringify(models));
  await screenshot('desktop-api-settings.png');
  // "New key": the running server refuses the old key from the next request.
  await click('.new-key');
  const fresh = await until('a new key', `const t = document.querySelector('.api-token')?.textContent; return t !== arguments[0] && t;`, [token]);
  await sleep(1200);
  const old = await fetch(`${url}/models`, { headers: { Authorization: `Bearer ${token}` } });
  if (old.status !== 401) throw new Error(`the old key gave ${old.status}`);
  const now = await fetch(`${url}/models`, { headers: { Authorization: `Bearer ${fresh}` } });
  if (now.status !== 200) throw new Error(`the new key gave ${now.status}`);
  await click('.api-switch');
  await until('the URL to go', `return !document.querySelector('.api-url');`);
  const closed = await fetch(`${url}/models`).then(() => 'open', () => 'closed');
  if (closed !== 'closed') throw new Error('the server still answers');
});

await step('a GGUF file added through the system file picker is checked and installed', async () => {
  const picked = path.join(scratch, 'picked-model.gguf');
  fs.linkSync(path.join(data, 'models/SmolLM2-135M-Instruct.Q4_1.gguf'), picked);
  await openTab('Models');
  await until('the add button', `return !!document.querySelector('.add-gguf');`);
  // The click returns once the dialog is up; the dialog is GTK's own window, outside WebDriver.
  await run(`document.querySelector('.add-gguf').click(); return true;`);
  const dialog = await gtkDialog('Open File');
  xdotool('windowfocus', '--sync', dialog);
  xdotool('key', '--window', dialog, 'ctrl+l');
  await sleep(300);
  xdotool('type', '--delay', '10', picked);
  await sleep(300);
  xdotool('key', 'Return');
  const shown = await until('the inspection result', `return document.querySelector('.imported')?.textContent;`);
  if (!shown.includes('picked-model.gguf') || !shown.includes('llama')) throw new Error(`shown: ${shown}`);
  if (!fs.existsSync(path.join(data, 'models/picked-model.gguf'))) throw new Error('not in the models folder');
  await screenshot('desktop-file-picked.png');
});

await step('a GGUF file dragged from another program onto the window is checked and installed', async () => {
  const dropped = path.join(scratch, 'dropped-model.gguf');
  fs.linkSync(path.join(data, 'models/SmolLM2-135M-Instruct.Q4_1.gguf'), dropped);
  await until('the Models view', `return !!document.querySelector('.add-gguf');`);
  // A GTK window offering the file as a file manager would, at the screen's bottom right,
  // outside Hearth's window; xdotool drags from it with the X server's real pointer.
  const source = spawn('/usr/bin/python3', [path.join(root, 'tests/e2e-desktop/drag-source.py'), dropped, '1130', '780'], {
    env: { ...process.env, DISPLAY: display },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise((resolve, reject) => {
      source.stdout.once('data', resolve);
      source.once('exit', (code) => reject(new Error(`the drag source exited with ${code}`)));
    });
    await sleep(500);
    xdotool('mousemove', '1190', '810');
    xdotool('mousedown', '1');
    for (let i = 1; i <= 20; i++) {
      xdotool('mousemove', String(1190 - i * 35), String(810 - i * 20));
      await sleep(30);
    }
    await sleep(200);
    xdotool('mouseup', '1');
    const shown = await until('the inspection result', `return document.querySelector('.imported')?.textContent.includes('dropped-model.gguf') && document.querySelector('.imported').textContent;`);
    if (!shown.includes('llama')) throw new Error(`shown: ${shown}`);
    if (!fs.existsSync(path.join(data, 'models/dropped-model.gguf'))) throw new Error('not in the models folder');
  } finally {
    source.kill();
  }
});

await step('"Open" hands the data folder to the desktop opener', async () => {
  await openTab('Settings');
  await until('the open button', `return !!document.querySelector('.open-folder');`);
  // The stand-in creates its log before it writes the line: read until a whole line is there
  // (seen once in CI, on a loaded machine: the file existed and was still empty). A click that
  // lands while Settings is being drawn can be lost: click again while nothing was opened.
  const firstLine = () => (fs.existsSync(opened) ? fs.readFileSync(opened, 'utf8') : '').split('\n').length > 1;
  for (let i = 0; i < 150 && !firstLine(); i++) {
    if (i % 30 === 0 && !fs.existsSync(opened)) await click('.open-folder');
    await sleep(100);
  }
  const asked = fs.existsSync(opened) ? fs.readFileSync(opened, 'utf8').split('\n')[0].trim() : '';
  if (asked !== data) throw new Error(`xdg-open was asked for "${asked}", not ${data}`);
});

// Regression guard: a link in a reply (or an imported chat) replaced Hearth's window with the
// remote page. Links go to the system browser; the window never leaves Hearth's own pages.
await step('a link in a reply opens in the system browser; the window stays Hearth', async () => {
  execFileSync(path.join(target, 'release/hearth-cli'), ['--data-dir', data, 'chats', 'import', path.join(root, 'tests/e2e-browser/hostile-chat.json')], { stdio: 'ignore' });
  await run('location.reload(); return true;');
  await openTab('Chat');
  await until('the imported chat', `return [...document.querySelectorAll('nav .chat-title')].some(t => t.textContent.includes('Hostile reply'));`);
  await run(`[...document.querySelectorAll('nav .chat-title')].find(t => t.textContent.includes('Hostile reply')).click(); return true;`);
  const link = await until('the link in the reply', `const a = document.querySelector('article.message.assistant .markdown a'); return a && a.getAttribute('href');`);
  if (link !== 'https://evil.example/renew') throw new Error(`link ${link}`);
  const home = await run('return location.href;');
  await run(`document.querySelector('article.message.assistant .markdown a').click(); return true;`);
  const lastOpened = () => (fs.existsSync(opened) ? fs.readFileSync(opened, 'utf8').trim().split('\n').at(-1) : '');
  for (let i = 0; i < 50 && lastOpened() !== link; i++) await sleep(100);
  if (lastOpened() !== link) throw new Error(`the browser was asked for "${lastOpened()}"`);
  // Even a page that tries to navigate the window itself stays where it is.
  await run(`location.href = 'https://evil.example/elsewhere'; return true;`);
  await sleep(1000);
  const now = await run('return location.href;');
  if (now !== home) throw new Error(`the window went to ${now}`);
  if (!(await run(`return !!document.querySelector('.composer');`))) throw new Error('Hearth is no longer shown');
  if (lastOpened() !== 'https://evil.example/elsewhere') throw new Error(`navigation handed over: "${lastOpened()}"`);
  await screenshot('desktop-link.png');
});

await step('a source of a reply answered from documents opens in the system app; a path from an imported chat is refused', async () => {
  const cli = (...args) => execFileSync(path.join(target, 'release/hearth-cli'), ['--data-dir', data, ...args]).toString();
  const notes = path.join(scratch, 'notes');
  fs.mkdirSync(notes);
  fs.writeFileSync(path.join(notes, 'orchard.txt'), 'Orchard notes\n\nThe hollyhock by the shed blooms in July.\n');
  fs.writeFileSync(path.join(notes, 'car.txt'), 'The car tyres were changed in Leeds in November.\n');
  cli('models', 'import', execFileSync('python3', [path.join(root, 'scripts/make-test-embedder')]).toString().trim());
  cli('docs', 'add', 'Garden', notes);
  cli('docs', 'index', 'Garden');
  cli('chat', '--model', 'smollm2-135m-instruct', '--temp', '0', '--max-tokens', '8', '--docs', 'Garden', '--prompt', 'When does the hollyhock bloom?');
  // The same reply imported with its source pointing at a file in no collection.
  const all = JSON.parse(cli('chats', 'export', '--format', 'json'));
  const answered = all.chats.find((c) => c.messages.some((m) => m.sources.length > 0));
  answered.title = 'Forged source';
  for (const m of answered.messages) for (const src of m.sources) src.path = '/etc/hostname';
  const forged = path.join(scratch, 'forged.json');
  fs.writeFileSync(forged, JSON.stringify({ ...all, chats: [answered] }));
  cli('chats', 'import', forged);

  const lastOpened = () => (fs.existsSync(opened) ? fs.readFileSync(opened, 'utf8').trim().split('\n').at(-1) : '');
  const openFirstSource = async () => {
    await until('the sources', `return !!document.querySelector('article.message.assistant details.sources summary');`);
    await run(`document.querySelector('article.message.assistant details.sources summary').click(); return true;`);
    await until('the source button', `return !!document.querySelector('article.message.assistant button.source-file');`);
    await run(`document.querySelector('article.message.assistant button.source-file').click(); return true;`);
  };
  await run('location.reload(); return true;');
  await openTab('Chat');
  await until('the chats', `return [...document.querySelectorAll('nav .chat-title')].some(t => t.textContent.includes('Forged source'));`);
  await run(`const i = document.querySelector('nav input[type=search]'); i.value = 'hollyhock'; i.dispatchEvent(new Event('input', { bubbles: true })); return true;`);
  await until('the search hit', `return [...document.querySelectorAll('.hit')].some(h => !h.textContent.includes('Forged source'));`);
  await run(`[...document.querySelectorAll('.hit')].find(h => !h.textContent.includes('Forged source')).click(); return true;`);
  await openFirstSource();
  const orchard = fs.realpathSync(path.join(notes, 'orchard.txt'));
  for (let i = 0; i < 100 && lastOpened() !== orchard; i++) await sleep(100);
  if (lastOpened() !== orchard) throw new Error(`the opener was asked for "${lastOpened()}", not ${orchard}`);
  await screenshot('desktop-sources.png');

  await run(`[...document.querySelectorAll('nav .chat-title')].find(t => t.textContent.includes('Forged source')).click(); return true;`);
  await until('the forged chat', `return document.querySelector('header h1')?.textContent.includes('Forged source');`);
  await openFirstSource();
  const banner = await until('the refusal', `return document.querySelector('.banner[role=alert]')?.textContent;`);
  if (!banner.includes('/etc/hostname')) throw new Error(`banner: ${banner}`);
  await sleep(500);
  if (lastOpened() !== orchard) throw new Error(`the opener was asked for "${lastOpened()}"`);
  await run(`document.querySelector('.banner[role=alert] button').click(); return true;`);
});

await step('a collection made on the LocalDocs screen with the system folder picker reaches ready', async () => {
  const letters = path.join(scratch, 'letters');
  fs.mkdirSync(letters);
  for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(letters, `letter-${i}.txt`), `Letter ${i}: the lantern by the harbour was mended on day ${i}.\n`);
  fs.writeFileSync(path.join(letters, 'aunt.txt'), "Aunt Mira's parcel of saffron arrived on the ninth of May.\n");
  await openTab('LocalDocs');
  await until('the form', `return !!document.querySelector('form.add-collection .choose-folder');`);
  await run(`const i = document.querySelector('.collection-name'); i.value = 'Letters'; i.dispatchEvent(new Event('input', { bubbles: true })); return true;`);
  await run(`document.querySelector('.choose-folder').click(); return true;`);
  const dialog = await gtkDialog('Select Folder');
  // GTK opens the folder picker on "Recent", where a typed path is not taken: Alt+Home goes
  // to the home folder first; then the typed path (with a slash, so it is opened as typed)
  // and "Open" (Alt+O) choose the folder that is open.
  xdotool('windowfocus', '--sync', dialog);
  xdotool('key', 'alt+Home');
  await sleep(800);
  xdotool('key', 'ctrl+l');
  await sleep(300);
  xdotool('type', '--delay', '10', `${letters}/`);
  await sleep(1000);
  xdotool('key', 'alt+o');
  const chosen = await until('the chosen folder', `return document.querySelector('.chosen-folder')?.textContent;`);
  if (fs.realpathSync(chosen) !== fs.realpathSync(letters)) throw new Error(`the picker gave ${chosen}`);
  await until('the embedding model', `return document.querySelector('.embedding-model')?.value;`);
  await run(`document.querySelector('.add-collection-button').click(); return true;`);
  await until('the collection to be ready', `return !!document.querySelector('article.collection[data-name="Letters"][data-state="ready"]');`, [], 120_000);
  const files = await run(`return document.querySelector('article.collection[data-name="Letters"] .files').textContent;`);
  if (files !== '41 files') throw new Error(`counted: ${files}`);
  await screenshot('desktop-localdocs.png');
  await run(`document.querySelector('article.collection[data-name="Letters"] .remove-collection').click(); return true;`);
  await until('the confirmation', `return !!document.querySelector('article.collection[data-name="Letters"] .confirm-remove');`);
  await run(`document.querySelector('article.collection[data-name="Letters"] .confirm-remove').click(); return true;`);
  await until('the collection to go', `return !document.querySelector('article.collection[data-name="Letters"]');`);
  if (!fs.existsSync(path.join(letters, 'aunt.txt'))) throw new Error('removing the collection touched the documents');
});

/** Sets a field's value as typing would (the UI listens for input). */
function fill(css, value) {
  return run(`const i = document.querySelector(arguments[0]); i.value = arguments[1]; i.dispatchEvent(new Event('input', { bubbles: true })); return true;`, [css, value]);
}

/** Picks `id` in the chat header's model picker. */
function pickModel(id) {
  return run(`const p = document.querySelector('header select'); p.value = arguments[0]; p.dispatchEvent(new Event('change', { bubbles: true })); return p.value === arguments[0];`, [id]);
}

await step('a remote provider added in Settings through Tauri IPC: a wrong key is refused, then its model answers a chat marked remote', async () => {
  // Another Hearth stands in for a team's GPU server: the test model behind its own API key.
  const cli = path.join(target, 'release/hearth-cli');
  const remoteData = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-desktop-remote-'));
  const testModel = execFileSync(path.join(root, 'scripts/fetch-test-model')).toString().trim();
  execFileSync(cli, ['--data-dir', remoteData, 'models', 'import', testModel], { stdio: 'ignore' });
  const remote = spawn(cli, ['--data-dir', remoteData, 'serve', '--port', '0', '--no-ui'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines = createInterface({ input: remote.stdout })[Symbol.asyncIterator]();
    const url = (await lines.next()).value.split(/\s+/).find((w) => w.startsWith('http://'));
    const token = (await lines.next()).value.replace('token: ', '').trim();
    await openTab('Settings');
    await until('the providers form', `return !!document.querySelector('.providers-none');`);
    await fill('.provider-name', 'box');
    await fill('.provider-url', url);
    await fill('.provider-key', 'not-the-key');
    await run(`document.querySelector('.provider-submit').click(); return true;`);
    await until('the refusal', `return document.querySelector('.settings .error')?.textContent.includes('refused the API key');`);
    if (await run(`return document.querySelectorAll('.provider').length;`)) throw new Error('a provider was added with a wrong key');
    await fill('.provider-key', token);
    await run(`document.querySelector('.provider-submit').click(); return true;`);
    await until('the provider and its model', `return document.querySelector('.provider[data-name="box"]')?.textContent.includes('models: 1');`).catch(async (e) => {
      const shown = await run(`return document.querySelector('#remote-providers')?.parentElement?.querySelector('.error')?.textContent;`);
      throw new Error(`${e.message}; the section reads: ${shown}`);
    });
    // The key went to the session's keyring: no file of the app's holds it.
    if (!(await run(`return !!document.querySelector('.provider-keeping[data-keeping="keychain"]');`))) throw new Error('the key was not kept in the keychain');
    let holding = '';
    try {
      holding = execFileSync('grep', ['-rlF', token, data, configHome], { encoding: 'utf8' }).trim();
    } catch (e) {
      if (e.status !== 1) throw e; // 1: found nowhere
    }
    if (holding) throw new Error(`the key is written in ${holding}`);
    await openTab('Chat');
    await click('button.new-chat');
    await until('the remote model in the picker', `return [...document.querySelectorAll('header select option')].some((o) => o.value === 'box:smollm2-135m-instruct');`);
    if (!(await pickModel('box:smollm2-135m-instruct'))) throw new Error('the remote model could not be picked');
    await until('the remote marker', `return document.querySelector('header .remote-marker')?.textContent.includes('box');`);
    await type('.composer textarea', 'What is the capital of France?');
    await click('.composer button[type=submit]');
    await until('the notice saying where the chat goes', `return document.querySelector('.banner.notice')?.textContent.includes('is sent to box');`);
    await until('a reply from the remote model naming Paris', `${lastReply} return r && r.dataset.status === 'complete' && r.textContent.includes('Paris');`);
    await until('the chat marked remote in the list', `return !!document.querySelector('.chat-list .remote-marker');`);
    await screenshot('desktop-remote.png');
    if (!(await pickModel('smollm2-135m-instruct'))) throw new Error('the local model could not be picked again');
  } finally {
    remote.kill();
    fs.rmSync(remoteData, { recursive: true, force: true });
  }
});

await step('a second launch brings the running window forward instead of opening a second app', async () => {
  const second = spawn(appBinary, [], { env: appEnv, stdio: 'ignore' });
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the second launch is still running after 15 s')), 15_000);
    second.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  if (code !== 0) throw new Error(`the second launch exited with ${code}`);
  const running = execFileSync('pgrep', ['-x', 'hearth']).toString().trim().split('\n');
  if (running.length !== 1) throw new Error(`hearth processes: ${running.join(', ')}`);
  if ((await wd('GET', s('/title'))) !== 'Hearth') throw new Error('the first window is gone');
});

await step('the window comes back at the size and place it was left, with the chats', async () => {
  const rect = { x: 40, y: 30, width: 900, height: 640 };
  await wd('POST', s('/window/rect'), rect);
  // Saved shortly after the last move or resize.
  await sleep(1000);
  await relaunch();
  await until('the model picker', `return !!document.querySelector('header select')?.value;`);
  const after = await wd('GET', s('/window/rect'));
  for (const key of Object.keys(rect)) if (after[key] !== rect[key]) throw new Error(`rect after restart: ${JSON.stringify(after)}`);
  await until('the chats', `return document.querySelectorAll('.chat-title').length >= 3;`);
});

/** The id of Hearth's main window if it is mapped (visible), else null. */
function visibleWindow() {
  try {
    return xdotool('search', '--onlyvisible', '--name', '^Hearth$').split('\n')[0];
  } catch {
    return null;
  }
}

await step('the tray icon offers Show and Quit, and Show brings back a hidden window', async () => {
  const labels = (await tray('menu')).map((item) => item.label);
  if (!labels.includes('Show Hearth') || !labels.includes('Quit')) throw new Error(`tray menu: ${JSON.stringify(labels)}`);
  const window = visibleWindow();
  if (!window) throw new Error('no visible Hearth window');
  xdotool('windowunmap', '--sync', window);
  if (visibleWindow()) throw new Error('the window did not hide');
  const clicked = await tray('click Show Hearth');
  if (clicked.error) throw new Error(clicked.error);
  for (let i = 0; i < 50 && !visibleWindow(); i++) await sleep(100);
  if (!visibleWindow()) throw new Error('Show did not bring the window back');
});

await step('the tray icon\'s Quit ends the app and its worker', async () => {
  const alive = (name) => {
    try {
      return execFileSync('pgrep', ['-f', name]).toString().trim();
    } catch {
      return '';
    }
  };
  // A reply first, so the worker is running too.
  await openTab('Chat');
  await askCapitalOfFrance();
  if (!alive(appBinary + '$') || !alive(path.join(target, 'release/hearth-engine'))) throw new Error('the app or its worker is not running');
  const clicked = await tray('click Quit');
  if (clicked.error) throw new Error(clicked.error);
  for (let i = 0; i < 100 && (alive(appBinary + '$') || alive(path.join(target, 'release/hearth-engine'))); i++) await sleep(100);
  if (alive(appBinary + '$')) throw new Error('the app is still running');
  if (alive(path.join(target, 'release/hearth-engine'))) throw new Error('the worker outlived the app');
});

console.log(`desktop E2E: ${passed()} steps passed; screenshots in ${artifacts}`);
await finish();
