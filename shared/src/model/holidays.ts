/**
 * Public holidays (jours fériés) of the countries Tournée's practices work in, computed, never
 * stored: the fixed days of each country plus the days that follow Easter (Lundi de Pâques,
 * Ascension = Easter + 39, Lundi de Pentecôte = Easter + 50). Easter is the Gregorian computus
 * (the "anonymous Gregorian algorithm", Meeus/Jones/Butcher), valid for every Gregorian year.
 *
 *   France   1 janv., Lundi de Pâques, 1 mai, 8 mai, Ascension, Lundi de Pentecôte, 14 juil.,
 *            15 août, 1 nov., 11 nov., 25 déc.
 *   Belgique 1 janv., Lundi de Pâques, 1 mai, Ascension, Lundi de Pentecôte, 21 juil., 15 août,
 *            1 nov., 11 nov., 25 déc.
 *
 * Not covered: Alsace-Moselle's Vendredi saint and 26 décembre, overseas departments' days of the
 * abolition of slavery, Belgian community holidays. A practice there books those days as absences.
 */
import { addDays, formatLocalDate } from './dates'

export const HOLIDAY_COUNTRIES = ['FR', 'BE'] as const
export type HolidayCountry = (typeof HOLIDAY_COUNTRIES)[number]
export const DEFAULT_HOLIDAY_COUNTRY: HolidayCountry = 'FR'

/** Stable names, translated by the views ('holiday.easterMonday' …). */
export const HOLIDAY_NAMES = [
  'newYear',
  'easterMonday',
  'labourDay',
  'victory1945',
  'ascension',
  'whitMonday',
  'bastilleDay',
  'belgianNationalDay',
  'assumption',
  'allSaints',
  'armistice',
  'christmas',
] as const
export type HolidayName = (typeof HOLIDAY_NAMES)[number]

export type Holiday = { readonly date: string; readonly name: HolidayName }

/** Easter Sunday of a Gregorian year, as a local date. */
export function easterSunday(year: number): string {
  const a = year % 19
  const b = Math.floor(year / 100)
  const c = year % 100
  const d = Math.floor(b / 4)
  const e = b % 4
  const f = Math.floor((b + 8) / 25)
  const g = Math.floor((b - f + 1) / 3)
  const h = (19 * a + b - d - g + 15) % 30
  const i = Math.floor(c / 4)
  const k = c % 4
  const l = (32 + 2 * e + 2 * i - h - k) % 7
  const m = Math.floor((a + 11 * h + 22 * l) / 451)
  const month = Math.floor((h + l - 7 * m + 114) / 31)
  const day = ((h + l - 7 * m + 114) % 31) + 1
  return formatLocalDate({ year, month, day })
}

const FIXED: { readonly [C in HolidayCountry]: readonly (readonly [monthDay: string, name: HolidayName])[] } = {
  FR: [
    ['01-01', 'newYear'],
    ['05-01', 'labourDay'],
    ['05-08', 'victory1945'],
    ['07-14', 'bastilleDay'],
    ['08-15', 'assumption'],
    ['11-01', 'allSaints'],
    ['11-11', 'armistice'],
    ['12-25', 'christmas'],
  ],
  BE: [
    ['01-01', 'newYear'],
    ['05-01', 'labourDay'],
    ['07-21', 'belgianNationalDay'],
    ['08-15', 'assumption'],
    ['11-01', 'allSaints'],
    ['11-11', 'armistice'],
    ['12-25', 'christmas'],
  ],
}

/** The public holidays of `year` in `country`, in date order. */
export function publicHolidays(year: number, country: HolidayCountry): Holiday[] {
  const y = String(year).padStart(4, '0')
  const easter = easterSunday(year)
  const movable: Holiday[] = [
    { date: addDays(easter, 1), name: 'easterMonday' },
    { date: addDays(easter, 39), name: 'ascension' },
    { date: addDays(easter, 50), name: 'whitMonday' },
  ]
  const fixed = FIXED[country].map(([monthDay, name]) => ({ date: `${y}-${monthDay}`, name }))
  return [...fixed, ...movable].sort((a, b) => a.date.localeCompare(b.date))
}

/** The holiday on `date` in `country`, if any. */
export function holidayOn(date: string, country: HolidayCountry): Holiday | undefined {
  return publicHolidays(Number(date.slice(0, 4)), country).find((h) => h.date === date)
}

/** Every holiday from `from` to `to` inclusive (local dates), in date order. */
export function holidaysBetween(from: string, to: string, country: HolidayCountry): Holiday[] {
  const list: Holiday[] = []
  for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++) {
    for (const h of publicHolidays(year, country)) if (h.date >= from && h.date <= to) list.push(h)
  }
  return list
}
