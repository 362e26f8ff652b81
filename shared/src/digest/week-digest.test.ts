import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { addAppointment, initAgendaDoc, listAppointments, setAppointmentStatus, softDeleteAppointment } from '../model/agenda'
import { agendaDocId } from '../model/doc-ids'
import { alice, steppingClock } from '../model/test-support'
import { TEST_TODAY } from '../../../tests/helpers/test-clock'
import { monthOfDay, shiftDay, weekOf } from '../../../tests/helpers/calendar-oracle'
import { toBase64Url } from '../crypto/base64url'
import { encodeDigestJson, isNewerDigestFormat } from './digest-json'
import {
  WEEK_DIGEST_FORMAT,
  WeekDigestFormatError,
  buildWeekDigest,
  buildWeekDigestInSlices,
  decodeWeekDigest,
  encodeWeekDigest,
  weekDigestAppointments,
  weekDigestCovers,
  weekDigestCoversDocs,
  weekDigestWeight,
  weekDigestWindow,
} from './week-digest'

const base = { durationMin: 30, practitionerId: 'prac1', patientId: 'pat1' }

function month(name: string): Y.Doc {
  const doc = new Y.Doc({ guid: agendaDocId(name) })
  initAgendaDoc(doc, name)
  return doc
}

/** Today is Wednesday 2026-11-25: the window is Monday 23 November to Sunday 6 December. */
const TODAY = '2026-11-25'

function straddlingMonths(): { nov: Y.Doc; dec: Y.Doc } {
  const clock = steppingClock()
  const nov = month('2026-11')
  const dec = month('2026-12')
  addAppointment(nov, { ...base, start: '2026-11-22T18:00' }, alice, clock) // Sunday before: out
  addAppointment(nov, { ...base, start: '2026-11-23T08:00', note: 'Genou droit, « post-op »' }, alice, clock)
  const cancelled = addAppointment(nov, { ...base, start: '2026-11-30T09:00' }, alice, clock)
  setAppointmentStatus(nov, cancelled, 'cancelled', alice, clock)
  const gone = addAppointment(nov, { ...base, start: '2026-11-24T09:00' }, alice, clock)
  softDeleteAppointment(nov, gone, alice, clock)
  addAppointment(dec, { ...base, start: '2026-12-06T19:30', place: 'home' }, alice, clock) // last day: in
  addAppointment(dec, { ...base, start: '2026-12-07T08:00' }, alice, clock) // Monday after: out
  return { nov, dec }
}

describe('week digest', () => {
  it('covers the week it is built in and the next, across a month end', () => {
    expect(weekDigestWindow(TODAY)).toEqual({ from: '2026-11-23', to: '2026-12-06', docIds: ['agenda/2026-11', 'agenda/2026-12'] })
    expect(weekDigestWindow('2026-11-23').docIds).toEqual(['agenda/2026-11', 'agenda/2026-12'])
    expect(weekDigestWindow('2026-11-08')).toEqual({ from: '2026-11-02', to: '2026-11-15', docIds: ['agenda/2026-11'] })
  })

  it(`at the test's today (${TEST_TODAY}): this week and the next, every day once, from their months`, () => {
    const monday = weekOf(TEST_TODAY)[0]!
    const days = Array.from({ length: 14 }, (_, i) => shiftDay(monday, i))
    const window = weekDigestWindow(TEST_TODAY)
    expect([window.from, window.to]).toEqual([monday, days[13]])
    expect(window.docIds).toEqual([...new Set(days.map(monthOfDay))].map((m) => `agenda/${m}`))
    // Built from those months, it holds an appointment on each of the fourteen days, and none beyond.
    const clock = steppingClock()
    const docs = new Map(window.docIds.map((id) => [id, month(id.slice('agenda/'.length))]))
    for (const day of [shiftDay(monday, -1), ...days, shiftDay(monday, 14)]) {
      const doc = docs.get(`agenda/${monthOfDay(day)}`)
      if (doc) addAppointment(doc, { ...base, start: `${day}T10:00` }, alice, clock)
    }
    const digest = buildWeekDigest([...docs.values()], TEST_TODAY, 1_795_000_000_000)
    expect(digest.appointments.map((a) => a.start.slice(0, 10))).toEqual(days)
    expect(weekDigestCovers(digest, TEST_TODAY, TEST_TODAY)).toBe(true)
  })

  it('holds what the agenda lists for those days, and reads back the same', async () => {
    const { nov, dec } = straddlingMonths()
    const digest = buildWeekDigest([dec, nov], TODAY, 1_795_000_000_000)
    const expected = [
      ...listAppointments(nov, { from: '2026-11-23', to: '2026-12-06' }).items,
      ...listAppointments(dec, { from: '2026-11-23', to: '2026-12-06' }).items,
    ]
    expect(digest.appointments).toEqual(expected)
    expect(digest.appointments.map((a) => a.start)).toEqual(['2026-11-23T08:00', '2026-11-30T09:00', '2026-12-06T19:30'])
    expect(digest.appointments[1]!.status).toBe('cancelled')

    const decoded = await decodeWeekDigest(await encodeWeekDigest(digest))
    expect(decoded).toEqual(digest)
    expect(weekDigestCovers(decoded, '2026-11-23', '2026-11-29')).toBe(true)
    expect(weekDigestCovers(decoded, '2026-11-30', '2026-12-06')).toBe(true)
    expect(weekDigestCovers(decoded, '2026-11-16', '2026-11-22')).toBe(false)
    expect(weekDigestCovers(decoded, '2026-12-07', '2026-12-13')).toBe(false)
    expect(weekDigestAppointments(decoded, '2026-11-30', '2026-12-06').map((a) => a.start)).toEqual([
      '2026-11-30T09:00',
      '2026-12-06T19:30',
    ])
  })

  it('weighs a later window above any earlier one, and more knowledge above less', () => {
    const { nov, dec } = straddlingMonths()
    const before = weekDigestWeight('2026-11-23', [nov, dec])
    addAppointment(nov, { ...base, start: '2026-11-26T10:00' }, alice, steppingClock())
    const after = weekDigestWeight('2026-11-23', [nov, dec])
    expect(after).toBeGreaterThan(before)
    // An empty month next week still outweighs this week's full ones.
    expect(weekDigestWeight('2026-11-30', [month('2026-12')])).toBeGreaterThan(after)
    expect(Number.isSafeInteger(weekDigestWeight('2099-12-28', [nov, dec]))).toBe(true)
  })

  it('records the state vector of each month doc it read, and reads back one written without them as null', async () => {
    const { nov, dec } = straddlingMonths()
    const digest = buildWeekDigest([nov, dec], TODAY, 1)
    expect(digest.stateVectors).toEqual({ 'agenda/2026-11': Y.encodeStateVector(nov), 'agenda/2026-12': Y.encodeStateVector(dec) })
    const { stateVectors: _, ...earlier } = digest
    expect((await decodeWeekDigest(await encodeDigestJson(earlier))).stateVectors).toBeNull()
    const broken = { ...earlier, stateVectors: { 'agenda/2026-11': toBase64Url(new Uint8Array([5])) } }
    await expect(decodeWeekDigest(await encodeDigestJson(broken))).rejects.toThrow(/stateVectors\.agenda\/2026-11/)
  })

  it("covers a device's month docs when it counts every change of each, or is of a later window", () => {
    const { nov, dec } = straddlingMonths()
    const digest = buildWeekDigest([nov, dec], TODAY, 1)
    expect(weekDigestCoversDocs(digest, TODAY, [nov, dec])).toBe(true)
    // A device that holds one more change (a booking, here in December) is not covered.
    addAppointment(dec, { ...base, start: '2026-12-01T11:00' }, alice, steppingClock())
    expect(weekDigestCoversDocs(digest, TODAY, [nov, dec])).toBe(false)
    expect(weekDigestCoversDocs(buildWeekDigest([nov, dec], TODAY, 2), TODAY, [nov, dec])).toBe(true)
    // Another window: an earlier one covers nothing of this one's, a later one is left to it.
    expect(weekDigestCoversDocs(digest, '2026-12-02', [dec])).toBe(false)
    expect(weekDigestCoversDocs(buildWeekDigest([dec], '2026-12-02', 3), TODAY, [nov, dec])).toBe(true)
    // One written without its state vectors cannot tell.
    expect(weekDigestCoversDocs({ ...buildWeekDigest([nov, dec], TODAY, 4), stateVectors: null }, TODAY, [nov, dec])).toBe(false)
  })

  it('refuses what it cannot read, naming the path and never the value', async () => {
    const { nov, dec } = straddlingMonths()
    // The JSON as a reader sees it (state vectors aside: they have their own test).
    const { stateVectors: _, ...digest } = buildWeekDigest([nov, dec], TODAY, 1)
    await expect(decodeWeekDigest(new Uint8Array([1, 2, 3]))).rejects.toThrow(WeekDigestFormatError)
    const newer = await decodeWeekDigest(await encodeDigestJson({ ...digest, format: WEEK_DIGEST_FORMAT + 1 })).catch((e: unknown) => e)
    expect((newer as Error).message).toMatch(/format 2; this version reads format 1/)
    // Written by a newer version: not this device's to replace (digest-sync.ts).
    expect(isNewerDigestFormat(newer)).toBe(true)
    const older = await decodeWeekDigest(await encodeDigestJson({ ...digest, format: 0 })).catch((e: unknown) => e)
    expect(older).toBeInstanceOf(WeekDigestFormatError)
    expect(isNewerDigestFormat(older)).toBe(false)
    const [first, ...rest] = digest.appointments
    const broken = { ...digest, appointments: [{ ...first, durationMin: 'Genou droit' }, ...rest] }
    const error = await decodeWeekDigest(await encodeDigestJson(broken)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WeekDigestFormatError)
    expect((error as Error).message).toContain('appointments.0.durationMin')
    expect((error as Error).message).not.toContain('Genou')
    await expect(decodeWeekDigest(await encodeDigestJson({ ...digest, from: digest.to, to: digest.from }))).rejects.toThrow(/\(to\)/)
  })

  /** A busy fortnight: `count` appointments a day apart in turn over the window's 14 days, in both months. */
  function busyMonths(count: number): { nov: Y.Doc; dec: Y.Doc } {
    const clock = steppingClock()
    const nov = month('2026-11')
    const dec = month('2026-12')
    for (let i = 0; i < count; i++) {
      const day = shiftDay('2026-11-23', i % 14)
      const hour = String(8 + Math.floor(i / 14) % 10).padStart(2, '0')
      addAppointment(day < '2026-12-01' ? nov : dec, { ...base, start: `${day}T${hour}:${i % 2 === 0 ? '00' : '30'}` }, alice, clock)
    }
    addAppointment(nov, { ...base, start: '2026-11-02T08:00' }, alice, clock) // out of the window: never validated
    return { nov, dec }
  }

  it('is built in slices, the thread given back between them, equal to the one built in one go', async () => {
    const { nov, dec } = busyMonths(120)
    let turns = 0
    const sliced = await buildWeekDigestInSlices([nov, dec], TODAY, 7, { nextSlice: async () => void turns++, perSlice: 10 })
    expect(sliced).toEqual(buildWeekDigest([nov, dec], TODAY, 7))
    expect(sliced.appointments).toHaveLength(120)
    // 120 records of the window validated 10 a slice, in two docs: a turn between any two slices of a doc.
    expect(turns).toBeGreaterThanOrEqual(10)
  })

  it('built in slices, never counts a change that landed between two of them', async () => {
    const { nov, dec } = busyMonths(60)
    let changed = false
    const nextSlice = async () => {
      if (changed) return
      changed = true
      addAppointment(dec, { ...base, start: '2026-12-05T17:00' }, alice, steppingClock())
    }
    const sliced = await buildWeekDigestInSlices([nov, dec], TODAY, 7, { nextSlice, perSlice: 10 })
    expect(changed).toBe(true)
    // Its state vectors are those before the change: the device holds more, and builds again.
    expect(weekDigestCoversDocs(sliced, TODAY, [nov, dec])).toBe(false)
    expect(weekDigestCoversDocs(buildWeekDigest([nov, dec], TODAY, 8), TODAY, [nov, dec])).toBe(true)
  })

  it('is read back in slices when given nextSlice, with the same result and the same refusals', async () => {
    const { nov, dec } = busyMonths(120)
    const digest = buildWeekDigest([nov, dec], TODAY, 3)
    const bytes = await encodeWeekDigest(digest)
    let turns = 0
    const nextSlice = async () => void turns++
    expect(await decodeWeekDigest(bytes, { nextSlice, rowsPerSlice: 25 })).toEqual(await decodeWeekDigest(bytes))
    expect(turns).toBe(4) // 120 appointments, 25 a slice: 5 slices
    const { stateVectors: _, ...plain } = digest
    const broken = await encodeDigestJson({ ...plain, appointments: plain.appointments.map((a, i) => (i === 90 ? { ...a, start: 'Genou' } : a)) })
    const inOneGo = await decodeWeekDigest(broken).catch((e: unknown) => e)
    const inSlices = await decodeWeekDigest(broken, { nextSlice, rowsPerSlice: 25 }).catch((e: unknown) => e)
    expect(inSlices).toBeInstanceOf(WeekDigestFormatError)
    expect((inSlices as Error).message).toBe((inOneGo as Error).message)
    expect((inSlices as Error).message).toContain('appointments.90.start')
  })
})
