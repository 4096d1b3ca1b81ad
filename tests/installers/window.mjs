// The installed `hearth` (HEARTH_E2E_APP) in a real window under Xvfb: it opens on the model
// the installed hearth-cli imported into the user's data folder, a chat round trip works, and
// the update check (off by default) finds a newer release on a local HTTPS server, accepts it
// when its signature is good and refuses it when it is not, and once turned on runs at the next
// start and offers the release in a banner. Nothing is installed. Run by
// tests/installers/run; leaves the data folder in place for the uninstall check.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stepRunner } from '../steps.mjs';
import { startUpdateServer } from './update-server.mjs';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-update-'));
const updates = await startUpdateServer(scratch, process.env.HEARTH_E2E_NEWER_PACKAGE);
// Read by the app, which tauri-driver starts with this environment.
process.env.HEARTH_UPDATE_ENDPOINT = updates.endpoint;
process.env.HEARTH_UPDATE_PUBKEY = updates.pubkey;
process.env.SSL_CERT_FILE = updates.ca;
const { askCapitalOfFrance, chooseGreedySampling, cleanup, click, expectWindowWithTestModel, openTab, relaunch, run, screenshot, until } = await import('../e2e-desktop/driver.mjs');

async function finish() {
  await cleanup();
  updates.close();
  fs.rmSync(scratch, { recursive: true, force: true });
}
const { step, passed } = stepRunner(async () => {
  await screenshot('installed-failure.png').catch(() => {});
  await finish();
});

await step('the installed app opens with the imported model', expectWindowWithTestModel);
await step('greedy sampling set in Settings', chooseGreedySampling);
await step('a chat round trip in the installed app names Paris', async () => {
  await askCapitalOfFrance();
  await screenshot('installed-chat.png');
});

await step('updates: off by default, and nothing was asked of the release server', async () => {
  await openTab('Settings');
  await until('the updates section', `return !!document.querySelector('.update-on-start');`);
  if (await run(`return document.querySelector('.update-on-start').checked;`)) throw new Error('the update check is on by default');
  if (updates.requests.length) throw new Error(`requests before any check: ${updates.requests}`);
});

await step('updates: a newer release with a good signature is downloaded and accepted', async () => {
  await click('.update-check');
  const version = await until('the offered version', `return document.querySelector('.update-version')?.textContent;`);
  if (version !== '9.9.9') throw new Error(`offered ${version}`);
  await click('.update-download');
  await until('the verified update', `return document.querySelector('.update-status')?.dataset.step === 'verified';`, [], 120_000);
  if (!updates.requests.includes('/Hearth_9.9.9_amd64.deb')) throw new Error(`requests: ${updates.requests}`);
  await screenshot('installed-update-verified.png');
});

await step('updates: the same package signed by another key is refused', async () => {
  updates.sign('other');
  await click('.update-check');
  await until('the offered version', `return document.querySelector('.update-status')?.dataset.step === 'available';`);
  await click('.update-download');
  const message = await until('the refusal', `return document.querySelector('.update-error')?.textContent;`, [], 120_000);
  if (!/signature does not match/.test(message)) throw new Error(`message: ${message}`);
  await screenshot('installed-update-refused.png');
});

await step('updates: with the start-up check turned on, the next start offers the release', async () => {
  updates.sign('release');
  await click('.update-on-start');
  // The setting is written through IPC; the box says when the backend has it.
  await until('the setting saved', `return document.querySelector('.update-on-start').dataset.saved === 'true';`);
  const before = updates.requests.length;
  await relaunch();
  const banner = await until('the update banner', `return document.querySelector('.update-banner')?.textContent;`, [], 60_000);
  if (!banner.includes('9.9.9')) throw new Error(`banner: ${banner}`);
  if (updates.requests.length === before) throw new Error('the start-up check asked nothing of the server');
  await screenshot('installed-update-banner.png');
});

console.log(`installed app: ${passed()} steps passed`);
await finish();
