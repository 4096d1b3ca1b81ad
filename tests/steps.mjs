// The step runner both E2E suites use: each step prints ok with its time, or FAILED with the
// reason; the first failure runs `onFailure` (a screenshot, cleanup) and exits with 1. And the
// small helpers the suites share.

import net from 'node:net';

/** A TCP port on 127.0.0.1 that nothing listens on (just now). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** Calls `check` every 200 ms until it resolves truthy; throws after `timeout` ms. */
export async function waitFor(what, check, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export function stepRunner(onFailure) {
  let passed = 0;
  async function step(name, fn) {
    const started = Date.now();
    try {
      await fn();
      passed++;
      console.log(`ok: ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      console.log(`FAILED: ${name}: ${e.message}`);
      await onFailure().catch(() => {});
      process.exit(1);
    }
  }
  return { step, passed: () => passed };
}
