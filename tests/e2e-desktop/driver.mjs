// Shared by the desktop E2E and benchmark: Xvfb, tauri-driver, a WebDriver session on the
// release `hearth` binary with its own data folder holding the test model, and small helpers.

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/hearth/target');
const app = path.join(target, 'release/hearth');
export const artifacts = process.env.HEARTH_ARTIFACTS || path.join(target, 'e2e-artifacts');
const driverBin = process.env.TAURI_DRIVER || path.join(os.homedir(), '.cargo/bin/tauri-driver');
const model = execFileSync(path.join(root, 'scripts/fetch-test-model')).toString().trim();
fs.mkdirSync(artifacts, { recursive: true });

export const data = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-desktop-'));
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

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function wd(method, route, body) {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${route}: ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}

export let session;
// When the attempt that launched the app began (earlier attempts only wait for tauri-driver).
let launchStarted = performance.now();
for (let i = 0; ; i++) {
  try {
    launchStarted = performance.now();
    session = (await wd('POST', '/session', { capabilities: { alwaysMatch: { 'tauri:options': { application: app } } } })).sessionId;
    break;
  } catch (e) {
    if (i > 50) throw e;
    await sleep(200);
  }
}
export const s = (route) => `/session/${session}${route}`;

/** Runs `script` in the window until it returns a truthy value (or `timeout` ms pass). */
export async function until(what, script, args = [], timeout = 60_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await wd('POST', s('/execute/sync'), { script, args });
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export async function find(css) {
  const element = await wd('POST', s('/element'), { using: 'css selector', value: css });
  return Object.values(element)[0];
}

export async function click(css) {
  await wd('POST', s(`/element/${await find(css)}/click`), {});
}

export async function type(css, text) {
  await wd('POST', s(`/element/${await find(css)}/value`), { text });
}

export async function screenshot(name) {
  const png = await wd('GET', s('/screenshot'));
  fs.writeFileSync(path.join(artifacts, name), Buffer.from(png, 'base64'));
}


/** Ends the session, stops Xvfb and tauri-driver, removes the data folder. */
export async function cleanup() {
  await wd('DELETE', s('')).catch(() => {});
  for (const child of children.reverse()) child.kill();
  fs.rmSync(data, { recursive: true, force: true });
}

/** Resident memory of the processes whose command line contains `needle`, in MB. */
export function rssMb(needle) {
  let total = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
      if (cmd !== needle) continue;
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

export const appBinary = app;
export const workerBinary = path.join(target, 'release/hearth-engine');
export const launchedAt = launchStarted;
