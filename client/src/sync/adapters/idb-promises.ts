/**
 * IndexedDB's events as promises, for the stores that talk to it directly (local-store.ts,
 * held-state.ts, first-screen-record.ts, unacknowledged-rooms.ts). Each store names its own
 * error for the rare event that carries none (`fallback`).
 */

/** The request's result; its error, or `fallback`'s, if it fails. */
export function requested<T>(request: IDBRequest<T>, fallback: (message: string) => Error = (message) => new Error(message)): Promise<T> {
  return new Promise((resolve, reject) => {
    request.addEventListener('success', () => resolve(request.result))
    request.addEventListener('error', () => reject(request.error ?? fallback('IndexedDB request failed')))
  })
}

/**
 * Resolves once the transaction has committed. Only its outcome tells the truth: Chromium reports
 * a full quota at commit, as an `abort` of a transaction whose requests had all succeeded.
 */
export function committed(transaction: IDBTransaction, fallback: (message: string) => Error = (message) => new Error(message)): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.addEventListener('complete', () => resolve())
    transaction.addEventListener('abort', () => reject(transaction.error ?? fallback('IndexedDB transaction aborted')))
    transaction.addEventListener('error', () => reject(transaction.error ?? fallback('IndexedDB transaction failed')))
  })
}
