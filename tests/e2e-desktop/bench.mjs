// The desktop app's benchmark (run by scripts/bench-app): from launching the release app
// under Xvfb to the chat view being interactive (no model loaded yet), resident memory of the
// app idle and of app + worker with the test model loaded, and time to first token in the
// window for a short prompt. Rounds: one launch per run; run it again for another sample.

import { appBinary, cleanup, click, launchedAt, rssMb, type, until, wd, s, workerBinary } from './driver.mjs';

const interactive = await until(
  'the chat view',
  `return document.querySelector('header select')?.value ? performance.now() : 0;`,
);
const launchMs = performance.now() - launchedAt;
const idleApp = rssMb(appBinary);

// Time from pressing Send to the first text of the new reply in the window.
async function firstToken(prompt) {
  const before = await wd('POST', s('/execute/sync'), { script: `return document.querySelectorAll('article.message.assistant').length;`, args: [] });
  await type('.composer textarea', prompt);
  const sent = performance.now();
  await click('.composer button[type=submit]');
  await until('the first token', `const all = document.querySelectorAll('article.message.assistant'); return all.length > arguments[0] && all[all.length - 1].querySelector('.markdown').textContent.trim().length > 0;`, [before], 60_000);
  const ms = performance.now() - sent;
  await until('the reply to end', `const r = [...document.querySelectorAll('article.message.assistant')].at(-1); return r.dataset.status !== 'streaming';`);
  return ms;
}

await click('button.new-chat');
const firstTokenMs = await firstToken('Hi!');
const secondMs = await firstToken('Hello again!');
const loadedApp = rssMb(appBinary);
const worker = rssMb(workerBinary);
void interactive;

console.log('Hearth desktop app (release build, Xvfb, WebKitGTK), test model');
console.log(`launch to interactive chat view      ${launchMs.toFixed(0)} ms   (target < 1000 ms, no model loaded)`);
console.log(`app resident memory, idle            ${idleApp.toFixed(0)} MB`);
console.log(`app + worker, test model loaded      ${(loadedApp + worker).toFixed(0)} MB   (app ${loadedApp.toFixed(0)}, worker ${worker.toFixed(0)})`);
console.log(`first token in the window, cold      ${firstTokenMs.toFixed(0)} ms   (includes loading the model)`);
console.log(`first token in the window, warm      ${secondMs.toFixed(0)} ms`);
await cleanup();
