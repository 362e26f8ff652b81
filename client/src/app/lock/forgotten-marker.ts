/**
 * The first-run screen of a device that forgot its practice says why, also after a reload: the
 * practice's name is kept in localStorage until a practice is created or joined again. (Its name
 * only: the lock screen showed it too.)
 */
const KEY = 'tournee.forgotten'

type MarkerStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

export interface ForgottenMarker {
  read(): string | null
  write(practiceName: string): void
  clear(): void
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
        return storage?.getItem(KEY) ?? null
      } catch {
        return null
      }
    },
    write: (practiceName) => attempt('keep', () => storage?.setItem(KEY, practiceName)),
    clear: () => attempt('clear', () => storage?.removeItem(KEY)),
  }
}
