/** Retries an assertion until it passes or the deadline expires (never a fixed sleep). */
export async function waitFor<T>(assertion: () => T | Promise<T>, { timeoutMs = 15_000, intervalMs = 20 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      return await assertion()
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) throw lastError
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
