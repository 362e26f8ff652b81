import { describe, expect, it } from 'vitest'
import { VTIMEZONES } from '../export/ical'
import { IcsImportError, readIcs } from './ical-read'

const OPTIONS = { timeZone: 'Europe/Paris', until: '2027-12-31' }

/** A calendar file as the exporters write it: CRLF lines. */
function ics(...lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//FR', ...lines, 'END:VCALENDAR', ''].join('\r\n')
}

/** Paris as the calendars write it (Tournée's export writes the same VTIMEZONE). */
const PARIS = VTIMEZONES['Europe/Paris']!

/** Outlook names zones after Windows: « GMT Standard Time » is London (an hour behind Paris), defined by its VTIMEZONE. */
const LONDON = PARIS.filter((line) => !line.startsWith('X-LIC-LOCATION')).map((line) =>
  line === 'TZID:Europe/Paris' ? 'TZID:GMT Standard Time' : line.replace('+0100', '+0000').replace('+0200', '+0100').replace('T020000', 'T010000').replace('T030000', 'T020000'),
)

const starts = (source: string) => readIcs(source, OPTIONS).occurrences.map((o) => `${o.start} ${o.durationMin}`)

describe('readIcs', () => {
  it('expands a weekly rule at the same wall clock across the spring DST change, without its EXDATE (Google)', () => {
    const source = ics(
      ...PARIS,
      'BEGIN:VEVENT',
      'UID:weekly@google.com',
      'DTSTART;TZID=Europe/Paris:20260316T090000',
      'DTEND;TZID=Europe/Paris:20260316T093000',
      'RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4',
      'EXDATE;TZID=Europe/Paris:20260323T090000',
      'SUMMARY:Séance Dupont Jean',
      'END:VEVENT',
    )
    expect(starts(source)).toEqual(['2026-03-16T09:00 30', '2026-03-30T09:00 30', '2026-04-06T09:00 30'])
  })

  it("reads Outlook's Windows zone names through their VTIMEZONE, and a changed occurrence (RECURRENCE-ID), across the autumn change", () => {
    const source = ics(
      ...LONDON,
      'BEGIN:VEVENT',
      'UID:outlook-1',
      'DTSTART;TZID="GMT Standard Time":20261019T180000',
      'DTEND;TZID="GMT Standard Time":20261019T184500',
      'RRULE:FREQ=WEEKLY;COUNT=3',
      'SUMMARY:Rééducation',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:outlook-1',
      'RECURRENCE-ID;TZID="GMT Standard Time":20261026T180000',
      'DTSTART;TZID="GMT Standard Time":20261027T190000',
      'DTEND;TZID="GMT Standard Time":20261027T200000',
      'SUMMARY:Rééducation (décalée)',
      'END:VEVENT',
    )
    const read = readIcs(source, OPTIONS)
    expect(read.occurrences.map((o) => [o.start, o.durationMin, o.summary])).toEqual([
      ['2026-10-19T19:00', 45, 'Rééducation'],
      ['2026-10-27T20:00', 60, 'Rééducation (décalée)'],
      ['2026-11-02T19:00', 45, 'Rééducation'],
    ])
    // Each occurrence is known by its UID and the time it recurs at — the moved one by its RECURRENCE-ID, not its new time.
    expect(read.occurrences.map((o) => o.key)).toEqual(['outlook-1|2026-10-19T18:00:00', 'outlook-1|2026-10-26T18:00:00', 'outlook-1|2026-11-02T18:00:00'])
  })

  it('converts UTC times to the practice clock on both sides of the change (25 October 2026)', () => {
    const source = ics(
      'BEGIN:VEVENT',
      'UID:a',
      'DTSTART:20261024T070000Z',
      'DURATION:PT30M',
      'SUMMARY:Avant',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:b',
      'DTSTART:20261026T080000Z',
      'DURATION:PT30M',
      'SUMMARY:Après',
      'END:VEVENT',
    )
    expect(starts(source)).toEqual(['2026-10-24T09:00 30', '2026-10-26T09:00 30'])
  })

  it('crosses 31 December into 1 January: an IANA zone with no VTIMEZONE, and a floating daily rule', () => {
    const source = ics(
      'BEGIN:VEVENT',
      'UID:ny',
      'DTSTART;TZID=America/New_York:20261231T180000',
      'DTEND;TZID=America/New_York:20261231T184500',
      'SUMMARY:Téléconsultation',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:daily',
      'DTSTART:20261230T233000',
      'DTEND:20261231T000000',
      'RRULE:FREQ=DAILY;COUNT=3',
      'SUMMARY:Garde',
      'END:VEVENT',
    )
    expect(starts(source)).toEqual(['2026-12-30T23:30 30', '2026-12-31T23:30 30', '2027-01-01T00:00 45', '2027-01-01T23:30 30'])
  })

  it('expands an endless rule up to the date given, and skips all-day, cancelled and over-long events', () => {
    const source = ics(
      'BEGIN:VEVENT',
      'UID:endless',
      'DTSTART;TZID=Europe/Paris:20271220T090000',
      'DURATION:PT1H',
      'RRULE:FREQ=WEEKLY',
      'SUMMARY:Réunion',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:allday',
      'DTSTART;VALUE=DATE:20270101',
      'SUMMARY:Férié',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:cancelled',
      'DTSTART:20270105T100000',
      'DURATION:PT1H',
      'STATUS:CANCELLED',
      'SUMMARY:Annulé',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:long',
      'DTSTART:20270106T080000',
      'DTEND:20270107T080000',
      'SUMMARY:Formation',
      'END:VEVENT',
    )
    const read = readIcs(source, OPTIONS)
    expect(read.occurrences.map((o) => o.start)).toEqual(['2027-12-20T09:00', '2027-12-27T09:00'])
    expect(read.skipped.map((s) => [s.summary, s.reason])).toEqual([
      ['Férié', 'all_day'],
      ['Annulé', 'cancelled'],
      ['Formation', 'too_long'],
    ])
  })

  it('names the line of a line without a value, and of a date that is not one', () => {
    const noColon = ics('BEGIN:VEVENT', 'UID:x', 'DTSTART:20260316T090000', 'SUMMARY Séance', 'END:VEVENT')
    expect(() => readIcs(noColon, OPTIONS)).toThrow(IcsImportError)
    expect(() => readIcs(noColon, OPTIONS)).toThrow(/^ligne 7 : /)
    const badDate = ics('BEGIN:VEVENT', 'UID:x', 'DTSTART;TZID=Europe/Paris:2026XX16T090000', 'SUMMARY:Séance', 'END:VEVENT')
    const error = (() => {
      try {
        readIcs(badDate, OPTIONS)
      } catch (e) {
        return e
      }
      return null
    })()
    expect(error).toMatchObject({ name: 'IcsImportError', line: 6, field: 'DTSTART' })
    expect(() => readIcs('BEGIN:VCARD\r\nEND:VCARD\r\n', OPTIONS)).toThrow(/BEGIN:VCALENDAR/)
  })
})
