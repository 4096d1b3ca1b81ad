// Desktop E2E: the release `hearth` binary in a real WebKitGTK window under Xvfb, driven
// through tauri-driver + WebKitWebDriver (plain WebDriver over HTTP), with the real test model.
// Steps: the window opens; a chat round trip through Tauri IPC; the worker is killed
// mid-reply, the window says so, and the next message works. Screenshot of the real window in
// $HEARTH_ARTIFACTS (default <target>/e2e-artifacts).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stepRunner } from '../steps.mjs';
import { artifacts, askCapitalOfFrance, chooseGreedySampling, cleanup, click, openTab, s, screenshot, target, type, until, wd } from './driver.mjs';

const { step, passed } = stepRunner(async () => {
  await screenshot('desktop-failure.png').catch(() => {});
  await cleanup();
});

const lastReply = `const r = [...document.querySelectorAll('article.message.assistant')].at(-1);`;

await step('the window opens with the installed model', async () => {
  const title = await wd('GET', s('/title'));
  if (title !== 'Hearth') throw new Error(`title ${title}`);
  await until('the model picker', `return document.querySelector('header select')?.value === 'smollm2-135m-instruct';`);
});

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

await step('the local API server: off by default, switched on in Settings, answers with the token, off again', async () => {
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
  await click('.api-switch');
  await until('the URL to go', `return !document.querySelector('.api-url');`);
  const closed = await fetch(`${url}/models`).then(() => 'open', () => 'closed');
  if (closed !== 'closed') throw new Error('the server still answers');
});

console.log(`desktop E2E: ${passed()} steps passed; screenshots in ${artifacts}`);
await cleanup();
