/**
 * The first-run screen of a device that forgot its practice says why, also after a reload: the
 * practice's name and the reason are kept in localStorage until a practice is created or joined
 * again. (Its name only: the lock screen showed it too.)
 */
const KEY = 'tournee.forgotten'

/**
 * Why a device forgot its practice: its lock (too many wrong PINs, a passkey lost for good), an
 * administrator revoked it (the relay said so: RefusalReason.Revoked), or a locum's end date passed
 * (RefusalReason.Ended).
 */
export type ForgetReason = 'lock' | 'revoked' | 'ended'

export function isForgetReason(value: unknown): value is ForgetReason {
  return value === 'lock' || value === 'revoked' || value === 'ended'
}

export interface Forgotten {
  readonly name: string
  readonly reason: ForgetReason
}

type MarkerStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

export interface ForgottenMarker {
  read(): Forgotten | null
  write(forgotten: Forgotten): void
  clear(): void
}

/** What was stored: JSON; a plain name (written before the reason was kept) was the lock's. */
function parse(stored: string | null): Forgotten | null {
  if (stored === null) return null
  try {
    const value = JSON.parse(stored) as Partial<Forgotten> | null
    if (value && typeof value.name === 'string' && isForgetReason(value.reason)) return { name: value.name, reason: value.reason }
  } catch {
    // Not JSON: the plain name of a version before the reason.
  }
  return { name: stored, reason: 'lock' }
}

export function forgottenMarker(storage: MarkerStorage | null): ForgottenMarker {
  const attempt = (what: string, run: () => void) => {
    try {
      run()
    } catch (error) {
      // Private browsing or a full quota: the message shows for this page only.
      console.warn(`Could not ${what} the forgotten practice's name`, error instanceof Error ? error.name : 'error')
    }
  }
  return {
    read: () => {
      try {
        return parse(storage?.getItem(KEY) ?? null)
      } catch {
        return null
      }
    },
    write: (forgotten) => attempt('keep', () => storage?.setItem(KEY, JSON.stringify(forgotten))),
    clear: () => attempt('clear', () => storage?.removeItem(KEY)),
  }
}
