// Desktop E2E: the release `hearth` binary in a real WebKitGTK window under Xvfb, driven
// through tauri-driver + WebKitWebDriver (plain WebDriver over HTTP), with the real test model.
// Steps: the window opens; a chat round trip through Tauri IPC; the worker is killed
// mid-reply, the window says so, and the next message works. Screenshot of the real window in
// $HEARTH_ARTIFACTS (default <target>/e2e-artifacts).

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/hearth/target');
const app = path.join(target, 'release/hearth');
const artifacts = process.env.HEARTH_ARTIFACTS || path.join(target, 'e2e-artifacts');
const driverBin = process.env.TAURI_DRIVER || path.join(os.homedir(), '.cargo/bin/tauri-driver');
const model = execFileSync(path.join(root, 'scripts/fetch-test-model')).toString().trim();
fs.mkdirSync(artifacts, { recursive: true });

const data = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-desktop-'));
fs.mkdirSync(path.join(data, 'models'));
fs.linkSync(model, path.join(data, 'models', path.basename(model)));

const children = [];
let display = process.env.DISPLAY;
if (!display) {
  display = ':93';
  children.push(spawn('Xvfb', [display, '-screen', '0', '1280x900x24'], { stdio: 'ignore' }));
  await sleep(500);
}
const port = 4444 + Math.floor(Math.random() * 1000);
const driver = spawn(driverBin, ['--port', String(port), '--native-driver', '/usr/bin/WebKitWebDriver'], {
  env: { ...process.env, DISPLAY: display, HEARTH_DATA_DIR: data },
  stdio: ['ignore', 'inherit', 'inherit'],
});
children.push(driver);

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function wd(method, route, body) {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${route}: ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}

let session;
for (let i = 0; ; i++) {
  try {
    session = (await wd('POST', '/session', { capabilities: { alwaysMatch: { 'tauri:options': { application: app } } } })).sessionId;
    break;
  } catch (e) {
    if (i > 50) throw e;
    await sleep(200);
  }
}
const s = (route) => `/session/${session}${route}`;

/** Runs `script` in the window until it returns a truthy value (or `timeout` ms pass). */
async function until(what, script, args = [], timeout = 60_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await wd('POST', s('/execute/sync'), { script, args });
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function find(css) {
  const element = await wd('POST', s('/element'), { using: 'css selector', value: css });
  return Object.values(element)[0];
}

async function click(css) {
  await wd('POST', s(`/element/${await find(css)}/click`), {});
}

async function type(css, text) {
  await wd('POST', s(`/element/${await find(css)}/value`), { text });
}

async function screenshot(name) {
  const png = await wd('GET', s('/screenshot'));
  fs.writeFileSync(path.join(artifacts, name), Buffer.from(png, 'base64'));
}

let passed = 0;
async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok: ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    console.log(`FAILED: ${name}: ${e.message}`);
    await screenshot('desktop-failure.png').catch(() => {});
    await cleanup();
    process.exit(1);
  }
}

async function cleanup() {
  await wd('DELETE', s('')).catch(() => {});
  for (const child of children.reverse()) child.kill();
  fs.rmSync(data, { recursive: true, force: true });
}

const lastReply = `const r = [...document.querySelectorAll('article.message.assistant')].at(-1);`;

await step('the window opens with the installed model', async () => {
  const title = await wd('GET', s('/title'));
  if (title !== 'Hearth') throw new Error(`title ${title}`);
  await until('the model picker', `return document.querySelector('header select')?.value === 'smollm2-135m-instruct';`);
});

await step('greedy sampling set in Settings, through IPC', async () => {
  await until('the tabs', `return document.querySelectorAll('[role=tab]').length >= 3;`);
  await wd('POST', s('/execute/sync'), { script: `[...document.querySelectorAll('[role=tab]')].find(b => b.textContent === 'Settings').click(); return true;`, args: [] });
  await until('the temperature field', `return !!document.querySelector('.settings input[type=number]');`);
  await wd('POST', s('/execute/sync'), {
    script: `const i = document.querySelector('.settings input[type=number]'); i.value = '0'; i.dispatchEvent(new Event('input', { bubbles: true }));
             [...document.querySelectorAll('.settings button')].find(b => b.textContent === 'Save').click(); return true;`,
    args: [],
  });
  await until('the saved notice', `return document.querySelector('.settings .banner')?.textContent.includes('Settings saved');`);
  await wd('POST', s('/execute/sync'), { script: `[...document.querySelectorAll('[role=tab]')].find(b => b.textContent === 'Chat').click(); return true;`, args: [] });
});

await step('a chat round trip through Tauri IPC names Paris', async () => {
  await click('button.new-chat');
  await type('.composer textarea', 'What is the capital of France?');
  await click('.composer button[type=submit]');
  await until('a reply naming Paris', `${lastReply} return r && r.dataset.status === 'complete' && r.textContent.includes('Paris');`);
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
  await type('.composer textarea', 'What is the capital of France?');
  await click('.composer button[type=submit]');
  await until('the next reply', `${lastReply} return r && r.dataset.status === 'complete' && r.textContent.includes('Paris');`);
});

console.log(`desktop E2E: ${passed} steps passed; screenshots in ${artifacts}`);
await cleanup();
