/**
 * Hooks over the practice's calendar facts beside appointments: practitioners' absences (the
 * directory's `absences`) and the public holidays of the practice's country. Absences are read
 * from the directory doc only: the directory digest a new device shows first does not carry them,
 * so they appear once the directory has synced, seconds later.
 */
import { useMemo } from 'react'
import type * as Y from 'yjs'
import { DEFAULT_HOLIDAY_COUNTRY, holidaysBetween, listAbsences } from '../../../shared/src/model'
import type { Absence, HolidayCountry, HolidayName } from '../../../shared/src/model'
import { useDirectory, usePracticeSettings } from './directory'
import { useDocSnapshot } from './use-doc'

function readAbsences(doc: Y.Doc): readonly Absence[] {
  return listAbsences(doc).items
}

/** Every live absence, by start date; null while the directory opens. */
export function useAbsences(): readonly Absence[] | null {
  return useDocSnapshot(useDirectory(), readAbsences)
}

/** The country whose public holidays the agenda shows (France until the practice says otherwise). */
export function useHolidayCountry(): HolidayCountry {
  return usePracticeSettings()?.holidayCountry ?? DEFAULT_HOLIDAY_COUNTRY
}

/** The public holidays from `from` to `to` (local dates, inclusive), by date. */
export function useHolidays(from: string, to: string): ReadonlyMap<string, HolidayName> {
  const country = useHolidayCountry()
  return useMemo(() => new Map(holidaysBetween(from, to, country).map((h) => [h.date, h.name])), [from, to, country])
}
