/**
 * What « Ajouter un appareil » grants the new device, from the form: its role, whether it
 * administers (a praticien only: registry-chain.ts), and for a locum the last day of the
 * replacement. The access ends at midnight after that day in the practice's time zone — the
 * person names the last day worked, and the whole of it is included.
 */
import { addDays, isLocalDate, joinDateTime, toInstant } from '../../../../shared/src/model/dates'
import { DeviceRole } from '../../../../shared/src/devices/registry-chain'
import type { DeviceGrantOptions } from '../../sync/device/practice-devices'

export interface GrantChoice {
  readonly role: DeviceRole
  readonly admin: boolean
  /** 'YYYY-MM-DD', for a locum; ignored otherwise. */
  readonly lastDay: string | null
}

/** `missing`: no valid date; `past`: a last day before today, which would add a device already refused. */
export type GrantReading =
  | { readonly ok: true; readonly grant: DeviceGrantOptions }
  | { readonly ok: false; readonly field: 'lastDay'; readonly problem: 'missing' | 'past' }

/** The instant a locum's access ends: the start of the day after `lastDay`, in `timeZone`. */
export function locumUntil(lastDay: string, timeZone: string): number {
  return toInstant(joinDateTime(addDays(lastDay, 1), '00:00'), timeZone)
}

/** `today`: the practice's date on this device ('YYYY-MM-DD'). */
export function readGrant(choice: GrantChoice, timeZone: string, today: string): GrantReading {
  if (choice.role === DeviceRole.Locum) {
    if (choice.lastDay === null || !isLocalDate(choice.lastDay)) return { ok: false, field: 'lastDay', problem: 'missing' }
    if (choice.lastDay < today) return { ok: false, field: 'lastDay', problem: 'past' }
    return { ok: true, grant: { role: DeviceRole.Locum, admin: false, until: locumUntil(choice.lastDay, timeZone) } }
  }
  // Only a praticien administers: it alone holds every key to seal to the devices it adds.
  return { ok: true, grant: { role: choice.role, admin: choice.role === DeviceRole.Practitioner && choice.admin, until: null } }
}
