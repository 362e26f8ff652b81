import ICAL from 'ical.js'
import { describe, expect, it } from 'vitest'
import { toInstant } from '../../../shared/src/model/dates'
import { escapeText, foldLine, icsCalendarEnd, icsCalendarStart, icsEvent, icsLocalDateTime } from './ical'

const STAMP = toInstant('2026-11-18T10:00', 'Europe/Paris')
const octets = (s: string) => new TextEncoder().encode(s).length

function calendar(...events: string[]): string {
  return icsCalendarStart('Cabinet — Dr Test', 'Europe/Paris') + events.join('') + icsCalendarEnd()
}

/** The instants ical.js (an independent reader) gives the events' starts, in UTC ISO. */
function startsOf(text: string, limit = 50): string[] {
  const component = new ICAL.Component(ICAL.parse(text))
  for (const zone of component.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(zone)
  const out: string[] = []
  for (const vevent of component.getAllSubcomponents('vevent')) {
    const event = new ICAL.Event(vevent)
    const iterator = event.iterator()
    for (let next = iterator.next(), n = 0; next && n < limit; next = iterator.next(), n++) out.push(next.toJSDate().toISOString())
  }
  return out.sort()
}

describe('iCalendar writer', () => {
  it('folds long lines at 75 octets, never inside a UTF-8 character, with CRLF and a leading space', () => {
    const line = `SUMMARY:${'é'.repeat(60)}${'a'.repeat(40)}`
    const folded = foldLine(line)
    expect(folded.endsWith('\r\n')).toBe(true)
    const parts = folded.slice(0, -2).split('\r\n')
    expect(parts.length).toBeGreaterThan(1)
    for (const part of parts) expect(octets(part)).toBeLessThanOrEqual(75)
    for (const part of parts.slice(1)) expect(part.startsWith(' ')).toBe(true)
    expect(parts.map((p, i) => (i === 0 ? p : p.slice(1))).join('')).toBe(line)
    expect(foldLine('UID:x')).toBe('UID:x\r\n')
  })

  it('escapes text values', () => {
    expect(escapeText('a,b;c\\d\ne')).toBe('a\\,b\\;c\\\\d\\ne')
  })

  it('ends every line with CRLF and carries the VTIMEZONE of Europe/Paris', () => {
    const text = calendar(icsEvent({ uid: 'a@tournee', stamp: STAMP, start: '2026-11-02T09:00', timeZone: 'Europe/Paris', durationMin: 30, summary: 'Séance', status: 'CONFIRMED' }))
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
    expect(text).toContain('BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n')
    expect(text).toContain('DTSTART;TZID=Europe/Paris:20261102T090000\r\n')
    expect(text).toContain('DTSTAMP:20261118T090000Z\r\n')
  })

  it('keeps 9:00 at 9:00 across both DST changes of 2026, as an independent reader computes', () => {
    const events = ['2026-03-28T09:00', '2026-03-29T09:00', '2026-03-30T09:00', '2026-10-24T09:00', '2026-10-25T09:00', '2026-10-26T09:00'].map((start, i) =>
      icsEvent({ uid: `e${i}@tournee`, stamp: STAMP, start, timeZone: 'Europe/Paris', durationMin: 20, summary: 'Séance', status: 'CONFIRMED' }),
    )
    expect(startsOf(calendar(...events))).toEqual([
      '2026-03-28T08:00:00.000Z', // CET, UTC+1
      '2026-03-29T07:00:00.000Z', // CEST from 02:00 that morning, UTC+2
      '2026-03-30T07:00:00.000Z',
      '2026-10-24T07:00:00.000Z',
      '2026-10-25T08:00:00.000Z', // back to CET at 03:00 that morning
      '2026-10-26T08:00:00.000Z',
    ])
  })

  it('expands a weekly RRULE with EXDATE across the March change as the wall clock says', () => {
    const text = calendar(
      icsEvent({
        uid: 's@tournee',
        stamp: STAMP,
        start: '2026-03-23T18:30',
        timeZone: 'Europe/Paris',
        durationMin: 30,
        summary: 'Séance',
        status: 'CONFIRMED',
        rrule: 'FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;WKST=MO;COUNT=4',
        exdates: ['2026-03-26T18:30'],
      }),
    )
    expect(startsOf(text)).toEqual(['2026-03-23T17:30:00.000Z', '2026-03-30T16:30:00.000Z', '2026-04-02T16:30:00.000Z'])
  })

  it('writes a zone it has no VTIMEZONE for in UTC, never as floating time', () => {
    const text = icsEvent({ uid: 'u@tournee', stamp: STAMP, start: '2026-11-02T09:00', timeZone: 'America/Cayenne', durationMin: 30, summary: 'x', status: 'CONFIRMED' })
    expect(text).toContain('DTSTART:20261102T120000Z\r\n')
    expect(icsLocalDateTime('2026-11-02T09:05')).toBe('20261102T090500')
  })
})
