/**
 * Appointments from a calendar file (.ics, RFC 5545) as Google, Apple and Outlook export them,
 * read with ical.js (the one adapter to it: TimezoneService is ical.js' own registry, which this
 * module fills with the file's VTIMEZONEs before it reads any time):
 *
 *   BEGIN:VEVENT
 *   UID:abc@google.com
 *   DTSTART;TZID=Europe/Paris:20260323T090000      (or …Z in UTC, or floating, or
 *   DTEND;TZID=Europe/Paris:20260323T093000         TZID="Romance Standard Time" with its VTIMEZONE)
 *   RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10
 *   EXDATE;TZID=Europe/Paris:20260330T090000
 *   SUMMARY:Séance Dupont Jean
 *   END:VEVENT
 *   (+ a VEVENT with the same UID and RECURRENCE-ID: one occurrence changed)
 *
 * Every occurrence is expanded (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) as ical.js does it,
 * in the event's own zone — so a weekly 9:00 stays at 9:00 across a DST change — then written as
 * the practice's wall clock (Europe/Paris by default). A TZID that is an IANA name is converted by
 * the model's own zone code; another name (Outlook's) through its VTIMEZONE; a floating time is
 * taken as the practice's wall clock. All-day events, cancelled ones, and ones longer than the
 * model takes (12 h) are skipped and listed. A rule with no end is expanded up to `until`.
 */
import ICAL from 'ical.js'
import { fromInstant, isValidTimeZone, toInstant } from '../../../shared/src/model'

export class IcsImportError extends Error {
  override name = 'IcsImportError'
  constructor(
    readonly detail: string,
    readonly line: number | undefined,
    readonly field?: string,
  ) {
    super([line === undefined ? undefined : `ligne ${line}`, field === undefined ? undefined : `champ « ${field} »`].filter(Boolean).join(', ') + ` : ${detail}`)
  }
}

export interface IcsOccurrence {
  /** The practice's wall clock, 'YYYY-MM-DDTHH:mm'. */
  readonly start: string
  readonly durationMin: number
  readonly summary: string
  readonly location?: string | undefined
  readonly description?: string | undefined
  /** Line of the VEVENT (its BEGIN) the occurrence comes from, 1-based. */
  readonly line: number
  /**
   * What identifies the event across two exports of the same calendar: its UID, and for one
   * occurrence of a recurring event the time it recurs at (its RECURRENCE-ID, or the rule's date);
   * without a UID (RFC 5545 requires one), its start and summary. See ical-known.ts.
   */
  readonly key: string
}

export type IcsSkipReason = 'all_day' | 'cancelled' | 'too_long' | 'too_short'

export interface IcsRead {
  readonly occurrences: readonly IcsOccurrence[]
  readonly skipped: ReadonlyArray<{ readonly line: number; readonly summary: string; readonly reason: IcsSkipReason }>
}

export interface IcsReadOptions {
  readonly timeZone: string
  /** Last local date ('YYYY-MM-DD') an endless rule is expanded to. */
  readonly until: string
}

/** More occurrences than any agenda holds: a file past this is refused rather than half-read. */
export const MAX_ICS_OCCURRENCES = 50_000
const MAX_MINUTES = 720
const MIN_MINUTES = 5

/** Unfolded content lines with the number of the physical line each starts on (§3.1). */
function contentLines(text: string): Array<{ text: string; line: number }> {
  const out: Array<{ text: string; line: number }> = []
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/)
  physical.forEach((raw, i) => {
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && out.length > 0) out[out.length - 1]!.text += raw.slice(1)
    else if (raw !== '') out.push({ text: raw, line: i + 1 })
  })
  return out
}

const CONTENT_LINE = /^[A-Za-z0-9-]+(;[^:]*)?:/
const DATE_PROPERTIES = new Set(['DTSTART', 'DTEND', 'EXDATE', 'RDATE', 'RECURRENCE-ID'])
const DATE_VALUE = /^\d{8}(T\d{6}Z?)?(,\d{8}(T\d{6}Z?)?)*$/

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

function wallClock(t: ICAL.Time): string {
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}`
}

/** An occurrence's time as the practice's wall clock. `tzid`: its DTSTART's TZID parameter. */
function practiceTime(t: ICAL.Time, tzid: string | undefined, timeZone: string): string {
  const wall = wallClock(t)
  if (t.zone === ICAL.Timezone.utcTimezone) return fromInstant(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute), timeZone)
  if (tzid !== undefined && isValidTimeZone(tzid)) return fromInstant(toInstant(wall, tzid), timeZone)
  if (tzid !== undefined && ICAL.TimezoneService.has(tzid)) return fromInstant(t.toUnixTime() * 1000, timeZone)
  // Floating (no zone): the same wall clock wherever it is read, so the practice's.
  return wall
}

function text(event: ICAL.Event, name: string): string | undefined {
  const value: unknown = event.component.getFirstPropertyValue(name)
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

export function readIcs(source: string, options: IcsReadOptions): IcsRead {
  const lines = contentLines(source)
  for (const { text: content, line } of lines) {
    if (!CONTENT_LINE.test(content)) throw new IcsImportError('ligne illisible (NOM:valeur attendu)', line)
    // Dates are checked here, where the line is known: ical.js would say only that one is wrong.
    const name = content.slice(0, content.search(/[;:]/)).toUpperCase()
    if (DATE_PROPERTIES.has(name) && !DATE_VALUE.test(content.slice(content.indexOf(':') + 1))) {
      throw new IcsImportError('date illisible (AAAAMMJJ ou AAAAMMJJTHHMMSS attendu)', line, name)
    }
  }
  const first = lines[0]
  if (!first || first.text.toUpperCase() !== 'BEGIN:VCALENDAR') throw new IcsImportError("ce n'est pas un agenda iCalendar (BEGIN:VCALENDAR attendu)", first?.line ?? 1)
  const eventLines = lines.filter((l) => l.text.toUpperCase() === 'BEGIN:VEVENT').map((l) => l.line)

  let calendar: ICAL.Component
  try {
    calendar = new ICAL.Component(ICAL.parse(source))
  } catch (error) {
    throw new IcsImportError(`agenda illisible (${error instanceof Error ? error.message : String(error)})`, undefined)
  }
  for (const zone of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(zone)

  const vevents = calendar.getAllSubcomponents('vevent')
  // Overrides (RECURRENCE-ID) go to their master, by UID.
  const masters = new Map<string, { event: ICAL.Event; line: number }>()
  const overrides: Array<{ component: ICAL.Component; line: number }> = []
  const standalone: Array<{ event: ICAL.Event; line: number }> = []
  vevents.forEach((component, i) => {
    const line = eventLines[i] ?? 0
    if (component.hasProperty('recurrence-id')) overrides.push({ component, line })
    else {
      let event: ICAL.Event
      try {
        event = new ICAL.Event(component)
      } catch (error) {
        throw new IcsImportError(`événement illisible (${error instanceof Error ? error.message : String(error)})`, line)
      }
      if (!component.hasProperty('dtstart')) throw new IcsImportError('début manquant', line, 'DTSTART')
      const uid = event.uid
      if (uid && event.isRecurring()) masters.set(uid, { event, line })
      else standalone.push({ event, line })
    }
  })
  for (const { component, line } of overrides) {
    const master = masters.get(String(component.getFirstPropertyValue('uid')))
    if (master) master.event.relateException(component)
    else standalone.push({ event: new ICAL.Event(component), line })
  }

  const occurrences: IcsOccurrence[] = []
  const skipped: Array<{ line: number; summary: string; reason: IcsSkipReason }> = []
  const add = (event: ICAL.Event, start: ICAL.Time, end: ICAL.Time, line: number, recurrence?: ICAL.Time) => {
    const summary = text(event, 'summary') ?? ''
    if (start.isDate) return skipped.push({ line, summary, reason: 'all_day' })
    if (text(event, 'status')?.toUpperCase() === 'CANCELLED') return skipped.push({ line, summary, reason: 'cancelled' })
    const tzid = event.component.getFirstProperty('dtstart')?.getParameter('tzid')
    const from = practiceTime(start, typeof tzid === 'string' ? tzid : undefined, options.timeZone)
    const minutes = Math.round((end.toUnixTime() - start.toUnixTime()) / 60)
    if (minutes > MAX_MINUTES) return skipped.push({ line, summary, reason: 'too_long' })
    if (minutes < MIN_MINUTES && minutes !== 0) return skipped.push({ line, summary, reason: 'too_short' })
    const uid = text(event, 'uid')
    const at = recurrence ?? event.recurrenceId
    const key = uid === undefined ? `sans-uid|${from}|${summary}` : at ? `${uid}|${at.toString()}` : uid
    occurrences.push({ start: from, durationMin: minutes === 0 ? 30 : minutes, summary, location: text(event, 'location'), description: text(event, 'description'), line, key })
    if (occurrences.length > MAX_ICS_OCCURRENCES) throw new IcsImportError(`plus de ${MAX_ICS_OCCURRENCES} rendez-vous : fichier refusé`, line)
    return undefined
  }
  const check = <T>(line: number, read: () => T): T => {
    try {
      return read()
    } catch (error) {
      if (error instanceof IcsImportError) throw error
      throw new IcsImportError(`date ou règle illisible (${error instanceof Error ? error.message : String(error)})`, line)
    }
  }
  for (const { event, line } of standalone) check(line, () => add(event, event.startDate, event.endDate, line))
  for (const { event, line } of masters.values()) {
    check(line, () => {
      const iterator = event.iterator()
      for (let next = iterator.next(); next; next = iterator.next()) {
        if (wallClock(next).slice(0, 10) > options.until) break
        const details = event.getOccurrenceDetails(next)
        add(details.item, details.startDate, details.endDate, line, details.recurrenceId)
      }
    })
  }
  occurrences.sort((a, b) => a.start.localeCompare(b.start) || a.line - b.line)
  return { occurrences, skipped }
}
