// Shared by the desktop E2E, its benchmark and the installer test: Xvfb, tauri-driver, a
// WebDriver session on the release `hearth` binary with its own data folder holding the test
// model, and small helpers. The installer test sets HEARTH_E2E_APP (the installed binary) and
// HEARTH_E2E_XDG_DATA_HOME: the app then finds its data where a user's would be, under
// $XDG_DATA_HOME/hearth, already filled by the installed hearth-cli, and the folder is kept.

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/hearth/target');
const app = process.env.HEARTH_E2E_APP || path.join(target, 'release/hearth');
const xdgData = process.env.HEARTH_E2E_XDG_DATA_HOME;
export const artifacts = process.env.HEARTH_ARTIFACTS || path.join(target, 'e2e-artifacts');
const driverBin = process.env.TAURI_DRIVER || path.join(os.homedir(), '.cargo/bin/tauri-driver');
const model = execFileSync(path.join(root, 'scripts/fetch-test-model')).toString().trim();
fs.mkdirSync(artifacts, { recursive: true });

export const data = xdgData ? path.join(xdgData, 'hearth') : fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-desktop-'));
if (!xdgData) {
  // Installed as a person would (linked, its checksum recorded: that makes it the catalog's model).
  execFileSync(path.join(target, 'release/hearth-cli'), ['--data-dir', data, 'models', 'import', model], { stdio: 'ignore' });
}
const dataEnv = xdgData ? { XDG_DATA_HOME: xdgData } : { HEARTH_DATA_DIR: data };
// The window's remembered size and position (tauri-plugin-window-state) live in the config
// folder: one of this run's own, kept across relaunches, removed by cleanup.
export const configHome = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-config-'));

const children = [];
export let display = process.env.DISPLAY;
if (!display) {
  display = ':93';
  children.push(spawn('Xvfb', [display, '-screen', '0', '1280x900x24'], { stdio: 'ignore' }));
  await sleep(500);
}
// A session bus of this run's own, as a desktop session has: single-instance finds the running
// app through it.
const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
children.push(bus);
const busAddress = await new Promise((resolve, reject) => {
  bus.stdout.once('data', (chunk) => resolve(chunk.toString().trim()));
  bus.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
});
// A desktop session's keyring, unlocked at login (here with a known password, in a folder of
// this run's own): keys of remote providers go into it. It leaves with the session bus. It comes
// first: the portal asks for the Secret Service when it starts, which would otherwise start a
// locked keyring of its own.
const keyrings = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-keyrings-'));
execFileSync('sh', ['-c', 'echo -n hearth-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1'], {
  env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress, XDG_DATA_HOME: keyrings },
  timeout: 30_000,
});

// A desktop session has the accessibility bus and the desktop portal running before any app
// starts; start them here too (a ping activates them), so that the app's launch, which the
// benchmark times, does not pay for starting them. Without them the launch measured ~180 ms more.
for (const [dest, objectPath] of [
  ['org.a11y.Bus', '/org/a11y/bus'],
  ['org.freedesktop.portal.Desktop', '/org/freedesktop/portal/desktop'],
]) {
  try {
    execFileSync('gdbus', ['call', '--session', '--dest', dest, '--object-path', objectPath, '--method', 'org.freedesktop.DBus.Peer.Ping'], {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress },
      stdio: 'ignore',
      timeout: 30_000,
    });
  } catch {
    // Not installed here: the app will not ask for it either.
  }
}

// The system tray a desktop panel provides (tray-host.py), so the app's tray icon has somewhere
// to register and its menu can be clicked as a person would.
const trayHost = spawn('/usr/bin/python3', [path.join(root, 'tests/e2e-desktop/tray-host.py')], {
  env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress },
  stdio: ['pipe', 'pipe', 'inherit'],
});
children.push(trayHost);
// One JSON answer per line, read in order.
const trayAnswers = readline.createInterface({ input: trayHost.stdout })[Symbol.asyncIterator]();
async function trayAnswer() {
  const { value, done } = await trayAnswers.next();
  if (done) throw new Error('the tray host stopped');
  return JSON.parse(value);
}
await trayAnswer();

/** Asks the tray host (see tray-host.py): `items`, `menu` or `click <label>`. */
export async function tray(command) {
  trayHost.stdin.write(`${command}\n`);
  return trayAnswer();
}

/** The environment the app runs in (its data, config folder, display and session bus). */
export const appEnv = { ...process.env, DISPLAY: display, XDG_CONFIG_HOME: configHome, DBUS_SESSION_BUS_ADDRESS: busAddress, ...dataEnv };
const port = 4444 + Math.floor(Math.random() * 1000);
const driver = spawn(driverBin, ['--port', String(port), '--native-driver', '/usr/bin/WebKitWebDriver'], {
  env: appEnv,
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

async function launch() {
  for (let i = 0; ; i++) {
    try {
      launchStarted = performance.now();
      session = (await wd('POST', '/session', { capabilities: { alwaysMatch: { 'tauri:options': { application: app } } } })).sessionId;
      return;
    } catch (e) {
      if (i > 50) throw e;
      // The first attempts only wait for tauri-driver to listen; later ones say why.
      if (i >= 5) console.error(`launch attempt ${i + 1}: ${e.message}`);
      await sleep(200);
    }
  }
}
try {
  await launch();
} catch (e) {
  // Nothing else would end Xvfb, the bus and the driver, and whoever waits for this run's
  // output would wait for them.
  console.error(`the app did not start: ${e.message}`);
  await cleanup();
  process.exit(1);
}

/** Closes the window as a person would (the app quits and saves its state), then starts it again. */
export async function relaunch() {
  // Guards the wait below: were the name spelled differently, it would wait for nothing.
  if (!ownsBusName()) throw new Error(`the running app owns no ${singleInstanceName} on the session bus`);
  await wd('DELETE', s('/window')).catch(() => {});
  await wd('DELETE', s('')).catch(() => {});
  // A start while the old app is still quitting finds it on the session bus (single instance),
  // hands over to it and ends with it: wait until it is gone, as a person would. The process
  // check alone is not enough: an exiting process drops its command line (so pgrep no longer
  // sees it) before it closes its sockets, and its bus name outlives it by that moment; a start
  // then got "NoReply" and WebKitWebDriver waited 300 s for a window.
  for (let i = 0; i < 300 && (running() || ownsBusName()); i++) await sleep(100);
  await launch();
}

/** The name tauri-plugin-single-instance owns on the session bus while the app runs. */
const singleInstanceName = 'org.hearth.Hearth.SingleInstance';

/** Whether some process still owns the app's single-instance name on this run's session bus. */
function ownsBusName() {
  try {
    const answer = execFileSync(
      'gdbus',
      ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.NameHasOwner', singleInstanceName],
      { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress }, timeout: 5_000 },
    );
    return answer.toString().includes('true');
  } catch {
    return false;
  }
}

/** Whether a process of the app's binary is running. */
function running() {
  try {
    execFileSync('pgrep', ['-f', '-x', `${app}( .*)?`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
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

/** Runs `script` in the window and returns its value. */
export function run(script, args = []) {
  return wd('POST', s('/execute/sync'), { script, args });
}

/** Opens the tab named `name` (Chat, Models, Settings). */
export async function openTab(name) {
  await until('the tabs', `return document.querySelectorAll('[role=tab]').length >= 3;`);
  await run(`[...document.querySelectorAll('[role=tab]')].find(b => b.textContent === arguments[0]).click(); return true;`, [name]);
}

const lastReply = `const r = [...document.querySelectorAll('article.message.assistant')].at(-1);`;

/** Checks the window is Hearth's, showing the installed test model in its picker. */
export async function expectWindowWithTestModel() {
  const title = await wd('GET', s('/title'));
  if (title !== 'Hearth') throw new Error(`title ${title}`);
  await until('the model picker', `return document.querySelector('header select')?.value === 'smollm2-135m-instruct';`);
}

/** Sets temperature 0 in Settings and saves, so replies are repeatable; back on the Chat tab. */
export async function chooseGreedySampling() {
  await openTab('Settings');
  await until('the temperature field', `return !!document.querySelector('.settings input[type=number]');`);
  await run(`const i = document.querySelector('.settings input[type=number]'); i.value = '0'; i.dispatchEvent(new Event('input', { bubbles: true }));
             [...document.querySelectorAll('.settings button')].find(b => b.textContent === 'Save').click(); return true;`);
  await until('the saved notice', `return !!document.querySelector('.toast')?.textContent.includes('Settings saved');`);
  await openTab('Chat');
}

/** Asks for France's capital in a new chat and waits for the finished reply naming Paris. */
export async function askCapitalOfFrance() {
  await click('button.new-chat');
  await type('.composer textarea', 'What is the capital of France?');
  await click('.composer button[type=submit]');
  await until('a reply naming Paris', `${lastReply} return r && r.dataset.status === 'complete' && r.textContent.includes('Paris');`);
}

/** Ends the session, stops Xvfb and tauri-driver, removes the data folder. */
export async function cleanup() {
  await wd('DELETE', s('')).catch(() => {});
  for (const child of children.reverse()) child.kill();
  if (!xdgData) fs.rmSync(data, { recursive: true, force: true });
  fs.rmSync(configHome, { recursive: true, force: true });
  fs.rmSync(keyrings, { recursive: true, force: true });
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
