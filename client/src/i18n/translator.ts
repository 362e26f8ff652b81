import { interpolate } from './dictionary'
import type { ArgsOf, MessageKey, PluralKey } from './dictionary'
import { DICTIONARIES, LOCALES } from './language'
import type { Language } from './language'
import { addMinutes, formatDayFr, formatTimeFr, fromInstant, parseLocalDate } from '../../../shared/src/model'
import type { Message, ParamValue } from './messages'

export const DEFAULT_TIME_ZONE = 'Europe/Paris'

/**
 * Everything a view needs to put words, dates and times on screen in one language and one time
 * zone. Built once per (language, time zone) and handed out by `useT()`.
 */
export interface Translator {
  readonly language: Language
  /** BCP 47 locale for Intl and for `lang` attributes. */
  readonly locale: string
  /** The practice's IANA time zone: today, and the time of instants, are read in it. */
  readonly timeZone: string
  t<K extends MessageKey>(key: K, ...args: ArgsOf<K>): string
  plural<K extends PluralKey>(key: K, count: number, ...args: ArgsOf<K>): string
  /** 'HH:mm' → '14 h 30' in French, '14:30' in English. */
  clock(localTime: string): string
  /** The wall-clock time of an instant in the practice's time zone: 'Dernier échange : 14 h 32'. */
  timeOf(epochMs: number): string
  /** 'lundi 23 novembre' for '2026-11-23'; 'lundi 23 novembre 2026' with `withYear`. */
  dayHeading(date: string, options?: { readonly withYear?: boolean }): string
  /** '12 mars 1954' for '1954-03-12'. */
  longDate(date: string): string
  /** '45 min', '1 h', '1 h 30'. */
  duration(minutes: number): string
  /** Start time of a local date-time ('YYYY-MM-DDTHH:mm'), formatted like `clock`. */
  startOf(localDateTime: string): string
  /** End time of a slot of `minutes` starting at a local date-time, formatted like `clock`. */
  endOf(localDateTime: string, minutes: number): string
}

function paramsOf(args: readonly unknown[]): Readonly<Record<string, ParamValue>> {
  const [params] = args
  return (params ?? {}) as Readonly<Record<string, ParamValue>>
}

export function createTranslator(language: Language, timeZone: string = DEFAULT_TIME_ZONE): Translator {
  const dictionary = DICTIONARIES[language]
  const locale = LOCALES[language]
  const pluralRules = new Intl.PluralRules(locale)
  // French day headings come from the model (formatDayFr: '1er' for the first of the month).
  const dayHeadingFormat = new Intl.DateTimeFormat(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    timeZone: 'UTC',
  })
  const dayHeadingWithYearFormat = new Intl.DateTimeFormat(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  })
  const longDateFormat = new Intl.DateTimeFormat(locale, {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  })

  function clock(localTime: string): string {
    return language === 'fr' ? formatTimeFr(localTime) : localTime
  }

  function utcNoon(localDate: string): number {
    const { year, month, day } = parseLocalDate(localDate)
    const ms = Date.UTC(year, month - 1, day, 12)
    // Date.UTC reads years 0..99 as 1900..1999: '0001-01-01' must not be shown as 1 January 1901.
    return year < 100 ? new Date(ms).setUTCFullYear(year) : ms
  }

  function t<K extends MessageKey>(key: K, ...args: ArgsOf<K>): string {
    const message: Message = dictionary[key]
    return interpolate(typeof message === 'string' ? message : message.other, paramsOf(args))
  }

  function plural<K extends PluralKey>(key: K, count: number, ...args: ArgsOf<K>): string {
    const message: Message = dictionary[key]
    const forms = typeof message === 'string' ? { one: message, other: message } : message
    const form = pluralRules.select(count) === 'one' ? forms.one : forms.other
    return interpolate(form, { ...paramsOf(args), count })
  }

  function duration(minutes: number): string {
    const hours = Math.floor(minutes / 60)
    const rest = minutes % 60
    if (hours === 0) return t('duration.minutes', { minutes })
    if (rest === 0) return t('duration.hours', { hours })
    return t('duration.hoursMinutes', { hours, minutes: String(rest).padStart(2, '0') })
  }

  return {
    language,
    locale,
    timeZone,
    t,
    plural,
    clock,
    timeOf: (epochMs) => clock(fromInstant(epochMs, timeZone).slice(11)),
    dayHeading: (date, options = {}) =>
      language === 'fr'
        ? formatDayFr(date, options)
        : (options.withYear ? dayHeadingWithYearFormat : dayHeadingFormat).format(utcNoon(date)),
    longDate: (date) => longDateFormat.format(utcNoon(date)),
    duration,
    startOf: (localDateTime) => clock(localDateTime.slice(11)),
    endOf: (localDateTime, minutes) => clock(addMinutes(localDateTime, minutes).slice(11)),
  }
}
