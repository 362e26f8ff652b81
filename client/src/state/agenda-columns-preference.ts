/**
 * Which practitioners' columns this device hides in the agenda: a choice of the person holding the
 * device (a secretary shows everyone, a kiné only herself), kept in localStorage per practice.
 */
import { z } from 'zod'

type PreferenceStorage = Pick<Storage, 'getItem' | 'setItem'>

const hiddenIds = z.array(z.string()).max(500)

function keyOf(spaceId: string): string {
  return `tournee.agenda.hidden.${spaceId}`
}

/** The ids hidden on this device; garbage in storage reads as "none hidden". */
export function readHiddenPractitioners(storage: PreferenceStorage | null, spaceId: string): string[] {
  const stored = storage?.getItem(keyOf(spaceId))
  if (!stored) return []
  try {
    const parsed = hiddenIds.safeParse(JSON.parse(stored))
    return parsed.success ? parsed.data : []
  } catch (error) {
    if (error instanceof SyntaxError) return []
    throw error
  }
}

export function writeHiddenPractitioners(storage: PreferenceStorage | null, spaceId: string, ids: readonly string[]): void {
  try {
    storage?.setItem(keyOf(spaceId), JSON.stringify(ids))
  } catch (error) {
    // Private browsing or a full quota: the choice holds for this session only, which is harmless.
    console.warn('Could not save the agenda columns preference', error)
  }
}
