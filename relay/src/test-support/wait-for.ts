/** Retries an assertion until it passes or the deadline expires: tests wait for conditions, not time. */
export async function waitFor<T>(
  assertion: () => T | Promise<T>,
  { timeoutMs = 3_000, intervalMs = 10 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await assertion()
    } catch (error) {
      if (Date.now() > deadline) throw error
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
