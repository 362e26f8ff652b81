/**
 * A weekly series before it is saved: each date it would book, and what is wrong with it — an
 * appointment of the same practitioner at that time (a clash), a public holiday, the
 * practitioner's absence. The same checks warn about a single booking (`bookingWarnings`).
 * Nothing is refused: the practitioner decides (a home visit on a holiday is ordinary for a nurse).
 */
import { absenceOn, addMinutes, holidayOn } from '../../../../shared/src/model'
import type { Absence, Appointment, HolidayCountry, HolidayName } from '../../../../shared/src/model'

export type SlotWarnings = {
  /** Live appointments of the practitioner whose time intersects the slot's. */
  readonly clashes: readonly Appointment[]
  readonly holiday: HolidayName | undefined
  readonly absence: Absence | undefined
}

export type PreviewDate = SlotWarnings & { readonly start: string }

/** What a booking of `durationMin` at `start` (local date-time) for `practitionerId` runs into. */
export function bookingWarnings(
  start: string,
  durationMin: number,
  practitionerId: string,
  existing: readonly Appointment[],
  country: HolidayCountry,
  absences: readonly Absence[],
  ignoreId?: string,
): SlotWarnings {
  const end = addMinutes(start, durationMin)
  const day = start.slice(0, 10)
  const clashes = existing.filter(
    (a) =>
      a.id !== ignoreId &&
      a.practitionerId === practitionerId &&
      a.status !== 'cancelled' &&
      a.deletedAt === undefined &&
      a.start < end &&
      start < addMinutes(a.start, a.durationMin),
  )
  return { clashes, holiday: holidayOn(day, country)?.name, absence: absenceOn(absences, practitionerId, day) }
}

export function previewSeries(
  starts: readonly string[],
  durationMin: number,
  practitionerId: string,
  existing: readonly Appointment[],
  country: HolidayCountry,
  absences: readonly Absence[],
): PreviewDate[] {
  return starts.map((start) => ({ start, ...bookingWarnings(start, durationMin, practitionerId, existing, country, absences) }))
}

export function hasWarning(w: SlotWarnings): boolean {
  return w.clashes.length > 0 || w.holiday !== undefined || w.absence !== undefined
}
