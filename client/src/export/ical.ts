/**
 * iCalendar (RFC 5545) text, as the calendars practitioners use read it (Google, Apple, Outlook,
 * Thunderbird):
 *
 *   BEGIN:VCALENDAR\r\n
 *   VERSION:2.0\r\n
 *   PRODID:-//Tournée//Export du cabinet//FR\r\n
 *   BEGIN:VTIMEZONE … TZID:Europe/Paris … END:VTIMEZONE\r\n
 *   BEGIN:VEVENT\r\n
 *   UID:<record id>@tournee\r\n
 *   DTSTAMP:20261118T090000Z\r\n
 *   DTSTART;TZID=Europe/Paris:20261102T090000\r\n
 *   DURATION:PT30M\r\n
 *   RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;WKST=MO;COUNT=10\r\n      (a series)
 *   EXDATE;TZID=Europe/Paris:20261109T090000\r\n                      (an occurrence taken out)
 *   SUMMARY:Séance — Dupont Jean\r\n
 *   END:VEVENT\r\n
 *   END:VCALENDAR\r\n
 *
 * - Lines end in CRLF and are folded at 75 octets (UTF-8 bytes, never inside a character): the
 *   continuation starts with one space (§3.1).
 * - TEXT values escape `\`, `;`, `,` and line breaks (§3.3.11).
 * - Times are the appointment's wall clock with the zone's TZID, and the calendar carries that
 *   zone's VTIMEZONE, so a 9:00 appointment stays at 9:00 on both sides of a DST change. A zone
 *   with no VTIMEZONE here is written in UTC (exact instants, `Z`), never as floating time.
 * - Durations are exact (DURATION), so an appointment keeps its length across a DST change.
 */
import { toInstant } from '../../../shared/src/model/dates'

export const ICS_LINE_END = '\r\n'
const MAX_OCTETS = 75

/**
 * The zones this writer has a VTIMEZONE for. Europe/Paris (the default of a practice) follows the
 * EU rule in force since 1996: last Sunday of March 02:00 → 03:00, last Sunday of October 03:00 → 02:00.
 */
export const VTIMEZONES: Readonly<Record<string, readonly string[]>> = {
  'Europe/Paris': [
    'BEGIN:VTIMEZONE',
    'TZID:Europe/Paris',
    'X-LIC-LOCATION:Europe/Paris',
    'BEGIN:DAYLIGHT',
    'TZOFFSETFROM:+0100',
    'TZOFFSETTO:+0200',
    'TZNAME:CEST',
    'DTSTART:19700329T020000',
    'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
    'END:DAYLIGHT',
    'BEGIN:STANDARD',
    'TZOFFSETFROM:+0200',
    'TZOFFSETTO:+0100',
    'TZNAME:CET',
    'DTSTART:19701025T030000',
    'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
    'END:STANDARD',
    'END:VTIMEZONE',
  ],
}

const encoder = new TextEncoder()

/** One content line, folded at 75 octets, CRLF-terminated. */
export function foldLine(line: string): string {
  if (encoder.encode(line).length <= MAX_OCTETS) return line + ICS_LINE_END
  const parts: string[] = []
  let current = ''
  let octets = 0
  // The first line holds 75 octets; each continuation holds 74 after its leading space.
  let limit = MAX_OCTETS
  for (const char of line) {
    const size = encoder.encode(char).length
    if (octets + size > limit) {
      parts.push(current)
      current = ''
      octets = 0
      limit = MAX_OCTETS - 1
    }
    current += char
    octets += size
  }
  parts.push(current)
  return parts.join(ICS_LINE_END + ' ') + ICS_LINE_END
}

/** A TEXT value (§3.3.11). */
export function escapeText(value: string): string {
  return value.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, '\\n')
}

/** '2026-03-29T09:05' → '20260329T090500' (a DATE-TIME's local form). */
export function icsLocalDateTime(localDateTime: string): string {
  return `${localDateTime.slice(0, 4)}${localDateTime.slice(5, 7)}${localDateTime.slice(8, 10)}T${localDateTime.slice(11, 13)}${localDateTime.slice(14, 16)}00`
}

/** Epoch ms → '20260329T070500Z'. */
export function icsUtc(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}

/** `NAME;TZID=zone:local` when the zone has a VTIMEZONE here, else `NAME:utcZ`. */
export function dateTimeProperty(name: string, localDateTime: string, timeZone: string): string {
  if (VTIMEZONES[timeZone]) return `${name};TZID=${timeZone}:${icsLocalDateTime(localDateTime)}`
  return `${name}:${icsUtc(toInstant(localDateTime, timeZone))}`
}

export interface IcsEvent {
  readonly uid: string
  /** When the export was made (DTSTAMP), epoch ms. */
  readonly stamp: number
  readonly start: string
  readonly timeZone: string
  readonly durationMin: number
  readonly summary: string
  readonly location?: string | undefined
  readonly description?: string | undefined
  readonly status: 'CONFIRMED' | 'TENTATIVE' | 'CANCELLED'
  /** RRULE value, e.g. 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;WKST=MO;COUNT=10'. */
  readonly rrule?: string | undefined
  /** Local date-times of the rule's occurrences that are not there (EXDATE). */
  readonly exdates?: readonly string[] | undefined
}

/** A VEVENT, folded, CRLF-terminated. */
export function icsEvent(event: IcsEvent): string {
  const lines = [
    'BEGIN:VEVENT',
    `UID:${event.uid}`,
    `DTSTAMP:${icsUtc(event.stamp)}`,
    dateTimeProperty('DTSTART', event.start, event.timeZone),
    `DURATION:PT${event.durationMin}M`,
    ...(event.rrule ? [`RRULE:${event.rrule}`] : []),
    ...(event.exdates ?? []).map((date) => dateTimeProperty('EXDATE', date, event.timeZone)),
    `SUMMARY:${escapeText(event.summary)}`,
    ...(event.location ? [`LOCATION:${escapeText(event.location)}`] : []),
    ...(event.description ? [`DESCRIPTION:${escapeText(event.description)}`] : []),
    `STATUS:${event.status}`,
    'END:VEVENT',
  ]
  return lines.map(foldLine).join('')
}

/** The calendar's opening lines, with the VTIMEZONE of its zone when there is one. */
export function icsCalendarStart(name: string, timeZone: string): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Tournée//Export du cabinet//FR',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(name)}`,
    `X-WR-TIMEZONE:${timeZone}`,
    ...(VTIMEZONES[timeZone] ?? []),
  ]
  return lines.map(foldLine).join('')
}

export function icsCalendarEnd(): string {
  return foldLine('END:VCALENDAR')
}
