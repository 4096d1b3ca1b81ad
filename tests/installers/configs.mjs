// Checks each OS's bundle config as the Tauri CLI will see it (src-tauri/tauri.conf.json with
// installers/<os>/tauri.<os>.conf.json merged in, as `--config` does) against the CLI's own
// JSON schema, and that every file they name exists. The Windows and macOS installers can only
// be built on those systems (the release workflow), so this is the check they get here.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(path.join(root, 'ui/package.json'));
const Ajv = require('ajv');
const schema = JSON.parse(fs.readFileSync(require.resolve('@tauri-apps/cli/config.schema.json'), 'utf8'));
const tauriDir = path.join(root, 'src-tauri');
const base = JSON.parse(fs.readFileSync(path.join(tauriDir, 'tauri.conf.json'), 'utf8'));

/** Tauri's merge of a `--config` file: objects merge key by key, anything else is replaced. */
function merge(into, from) {
  if (typeof into !== 'object' || into === null || Array.isArray(into) || typeof from !== 'object' || from === null || Array.isArray(from)) return from;
  const out = { ...into };
  for (const [key, value] of Object.entries(from)) out[key] = key in into ? merge(into[key], value) : value;
  return out;
}

/** Every file path the config names, relative to src-tauri as the CLI resolves them. */
function namedFiles(config) {
  const b = config.bundle ?? {};
  const files = [...(b.icon ?? [])];
  const linux = b.linux ?? {};
  for (const kind of ['deb', 'rpm']) {
    if (linux[kind]?.desktopTemplate) files.push(linux[kind].desktopTemplate);
    files.push(...Object.values(linux[kind]?.files ?? {}));
  }
  const nsis = b.windows?.nsis ?? {};
  for (const key of ['installerHooks', 'installerIcon']) if (nsis[key]) files.push(nsis[key]);
  if (b.macOS?.entitlements) files.push(b.macOS.entitlements);
  return files;
}

const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false, validateFormats: false });
const validate = ajv.compile(schema);
// The schema must refuse a wrong value before its silence about ours means anything.
if (validate(merge(base, { bundle: { windows: { nsis: { installMode: 'everyone' } } } }))) {
  console.log('the schema accepted an NSIS install mode that does not exist: the check is not working');
  process.exit(1);
}

let problems = 0;
for (const os of ['linux', 'windows', 'macos']) {
  const file = path.join(root, 'installers', os, `tauri.${os}.conf.json`);
  const config = merge(base, JSON.parse(fs.readFileSync(file, 'utf8')));
  const found = [];
  if (!validate(config)) for (const e of validate.errors) found.push(`${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
  for (const named of namedFiles(config)) if (!fs.existsSync(path.resolve(tauriDir, named))) found.push(`names ${named}, which does not exist`);
  if (!config.bundle?.externalBin?.includes('binaries/hearth-engine')) found.push('does not ship the hearth-engine worker');
  if (!config.bundle?.externalBin?.includes('binaries/hearth-extract')) found.push('does not ship the hearth-extract document reader');
  for (const p of found) console.log(`${path.relative(root, file)}: ${p}`);
  console.log(`${os}: ${found.length ? 'FAILED' : 'ok'} (${config.bundle.targets.join(', ')})`);
  problems += found.length;
}
process.exit(problems ? 1 : 0);
