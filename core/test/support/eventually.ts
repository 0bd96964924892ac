/**
 * Waits until `check` answers true, polling; fails the test with what it waited for (and, when
 * given, the tail of a process's logs) if that takes longer than `timeoutMs`.
 */
import assert from "node:assert/strict";

export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs?: number; everyMs?: number; context?: () => string } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 250));
  }
  assert.fail(`timed out waiting for: ${what}${options.context ? `\n${options.context()}` : ""}`);
}
