// The step runner both E2E suites use: each step prints ok with its time, or FAILED with the
// reason; the first failure runs `onFailure` (a screenshot, cleanup) and exits with 1.

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
