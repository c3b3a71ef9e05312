// Waiting in tests: for something to happen (`eventually`), and for proof that something did
// NOT happen (`expectNothingAfter`), without fixed sleeps. A fixed sleep is either too short on
// a loaded machine (a false pass or a flake) or wastes time everywhere else.

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The one budget every poll gets unless a test says otherwise. */
export const WAIT = { timeoutMs: 15_000, intervalMs: 100 };

/**
 * Runs `check` until it returns without throwing (e.g. its `expect`s hold), and returns what it
 * returned; after `timeoutMs`, throws the last failure.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const { timeoutMs, intervalMs } = { ...WAIT, ...options };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    await delay(intervalMs);
  }
}

/**
 * Asserts that something did not happen. Absence alone proves nothing (it may not have happened
 * YET), so first wait for `marker`: an observable later step of the same pipeline (a later event
 * delivered, the outbox row published, the consumer's acknowledgement, a job_runs row) that
 * shows the pipeline has moved past the point where it would have happened. Then `absent` runs
 * its assertions once.
 */
export async function expectNothingAfter<T>(
  marker: () => unknown | Promise<unknown>,
  absent: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  await eventually(marker, options);
  return absent();
}
