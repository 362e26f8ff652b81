/**
 * The bench's data generator (tests/bench/generate.ts), which seed-demo and the benchmarks share:
 * deterministic for a seed, valid NIRs, series of twice-weekly sessions, N years around today, and
 * everything it writes reads back through the model's validated accessors.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { initPractice } from '../shared/src/model/practice'
import { listPatients } from '../shared/src/model/patients'
import { listAppointments } from '../shared/src/model/agenda'
import { checkNir } from '../shared/src/model/nir'
import { listAppointmentKinds } from '../shared/src/model/appointment-kinds'
import { findDuplicates } from '../shared/src/model/patient-duplicates'
import { patientMonths } from '../shared/src/model/patient-months'
import type { Patient } from '../shared/src/model/record-schemas'
import { DEFAULT_WORKING_HOURS } from '../shared/src/model/working-hours'
import { addMinutes } from '../shared/src/model/dates'
import {
  KIND_LABELS,
  PlanMonthError,
  WorkingHoursOverflowError,
  defaultSpec,
  demoSpec,
  outlinePractice,
  planMonth,
  planPractice,
  steppingClock,
  writeDirectory,
  writeFiles,
  writeMonth,
  writePractice,
  slots,
  type PlannedAppointment,
} from './bench/generate'

const TODAY = '2026-11-23'

/** Whether an appointment lies within one period of the app's default working day. */
function withinWorkingHours(a: Pick<PlannedAppointment, 'start' | 'durationMin'>): boolean {
  const start = a.start.slice(11)
  const end = addMinutes(a.start, a.durationMin).slice(11)
  return DEFAULT_WORKING_HOURS['1'].some((period) => start >= period.start && end <= period.end)
}

/** Weekdays of a month range that are not fixed French public holidays (as the generator's). */
function workdaysOf(months: readonly string[]): string[] {
  const holidays = new Set(['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'])
  const days: string[] = []
  for (const month of months) {
    for (let d = new Date(`${month}-01T12:00:00Z`); d.toISOString().slice(0, 7) === month; d.setUTCDate(d.getUTCDate() + 1)) {
      const iso = d.toISOString().slice(0, 10)
      if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6 && !holidays.has(iso.slice(5))) days.push(iso)
    }
  }
  return days
}

describe('bench data generator', () => {
  it('plans the same practice for the same seed, and another for another seed', () => {
    const spec = defaultSpec(TODAY, { practitioners: 1, patients: 200, months: 2 })
    const strip = (plan: ReturnType<typeof planPractice>) => JSON.stringify({ ...plan, agenda: [...plan.agenda], notes: [...plan.notes] })
    expect(strip(planPractice(spec))).toBe(strip(planPractice(spec)))
    expect(strip(planPractice({ ...spec, seed: spec.seed + 1 }))).not.toBe(strip(planPractice(spec)))
  })

  it('covers N years: today, five months ahead, the rest back, 25 a day on 220 days a year per practitioner', () => {
    const spec = defaultSpec(TODAY, { practitioners: 3, patients: 300, years: 2 })
    expect(spec.months).toBe(24)
    const plan = planPractice(spec)
    const months = [...plan.agenda.keys()]
    expect(months[0]).toBe('2025-05')
    expect(months.at(-1)).toBe('2027-04')
    expect(months).toContain('2026-11')
    const appointments = [...plan.agenda.values()].flat(2)
    expect(appointments).toHaveLength(3 * 2 * 220 * 25)
    expect(appointments.filter((a) => a.place === 'home').length / appointments.length).toBeCloseTo(0.15, 1)
    expect(appointments.some((a) => a.status === 'cancelled' && a.cancelReason)).toBe(true)
    expect(appointments.filter((a) => a.start < TODAY).every((a) => a.status !== 'booked')).toBe(true)
  })

  it('plans a demo week as a kiné practice has it: mostly Séance, a few Bilan, some home visits, every practitioner every weekday, within working hours', () => {
    const plan = planPractice(demoSpec(TODAY, { practitioners: 3, patients: 300, months: 3 }))
    const appointments = [...plan.agenda.values()].flat(2)
    const share = (kind: string) => appointments.filter((a) => a.kind === kind).length / appointments.length
    expect(share('session')).toBeGreaterThan(0.75)
    expect(share('assessment')).toBeGreaterThan(0.01)
    expect(share('assessment')).toBeLessThan(0.1)
    expect(share('home')).toBeGreaterThan(0.05)
    expect(share('home')).toBeLessThan(0.25)
    expect(appointments.filter((a) => a.kind === 'home').every((a) => a.place === 'home')).toBe(true)
    // Neither 7 h 30 nor 20 h: every appointment inside 8:00–12:30 or 13:30–19:00.
    expect(appointments.filter((a) => !withinWorkingHours(a))).toEqual([])
    expect(new Set(appointments.map((a) => a.start.slice(11))).size).toBe(18)
    // Every practitioner works every weekday of the months shown (public holidays aside).
    const days = workdaysOf([...plan.agenda.keys()])
    for (let p = 0; p < 3; p++) {
      const worked = new Set(appointments.filter((a) => a.practitioner === p).map((a) => a.start.slice(0, 10)))
      expect(days.filter((d) => !worked.has(d)), `practitioner ${p}`).toEqual([])
    }
  })

  it('keeps the benchmarks’ volume (25 a day) inside the working hours, and takes leave from a Monday', () => {
    const plan = planPractice(defaultSpec(TODAY, { practitioners: 2, patients: 300, months: 12 }))
    const appointments = [...plan.agenda.values()].flat(2)
    expect(appointments.filter((a) => !withinWorkingHours(a))).toEqual([])
    const days = workdaysOf([...plan.agenda.keys()])
    for (let p = 0; p < 2; p++) {
      const worked = new Set(appointments.filter((a) => a.practitioner === p).map((a) => a.start.slice(0, 10)))
      // A day off is a Monday, or follows another day off: leave is never a lone Wednesday.
      for (const day of days.filter((d) => !worked.has(d))) {
        const weekday = new Date(`${day}T12:00:00Z`).getUTCDay()
        const before = days[days.indexOf(day) - 1]
        expect(weekday === 1 || (before !== undefined && !worked.has(before)), `${day} off for practitioner ${p}`).toBe(true)
      }
    }
    expect(() => slots(25, 30)).toThrow(WorkingHoursOverflowError)
  })

  it('plans no two patients the duplicate rule would offer to merge, even among 20,000', () => {
    const plan = planPractice(defaultSpec(TODAY, { practitioners: 1, patients: 20_000, months: 1 }))
    const patients = plan.patients.map((p, i) => ({ ...p, id: `p${i}`, archived: false, createdAt: i, updatedAt: i }) as unknown as Patient)
    expect(findDuplicates(patients)).toEqual([])
  })

  it('gives most patients a NIR with a valid key, matching their sex and birth date', () => {
    const plan = planPractice(defaultSpec(TODAY, { patients: 1000, practitioners: 1, months: 1 }))
    const withNir = plan.patients.filter((p) => p.nir !== undefined)
    expect(withNir.length / plan.patients.length).toBeGreaterThan(0.8)
    expect(withNir.length).toBeLessThan(plan.patients.length)
    for (const p of withNir) {
      expect(checkNir(p.nir!)).toBe('ok')
      expect(p.nir![0]).toBe(p.sex === 'F' ? '2' : '1')
      expect(p.nir!.slice(1, 5)).toBe(p.birthDate!.slice(2, 4) + p.birthDate!.slice(5, 7))
    }
  })

  it('plans series: 10 sessions, same patient, practitioner and time, twice a week', () => {
    const plan = planPractice(defaultSpec(TODAY, { practitioners: 2, patients: 400, months: 12 }))
    const bySeries = new Map<number, PlannedAppointment[]>()
    for (const a of [...plan.agenda.values()].flat(2)) if (a.series) bySeries.set(a.series.index, [...(bySeries.get(a.series.index) ?? []), a])
    expect(bySeries.size).toBe(plan.series)
    expect(plan.series).toBeGreaterThan(20)
    const complete = [...bySeries.values()].filter((list) => list.length === 10)
    // Series started in the last weeks of the agenda are cut by its end; most are complete.
    expect(complete.length / bySeries.size).toBeGreaterThan(0.75)
    for (const list of complete) {
      list.sort((x, y) => x.start.localeCompare(y.start))
      expect(list.map((a) => a.series!.occurrence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      expect(new Set(list.map((a) => `${a.patient} ${a.practitioner} ${a.start.slice(11)}`)).size).toBe(1)
      const weekdays = new Set(list.map((a) => new Date(`${a.start.slice(0, 10)}T12:00:00Z`).getUTCDay()))
      expect(weekdays.size).toBeLessThanOrEqual(2)
    }
  })

  it('writes through the model: every record reads back validated, series ids shared by their occurrences', async () => {
    const plan = planPractice(defaultSpec(TODAY, { practitioners: 1, patients: 120, months: 2 }))
    const docs = new Map<string, Y.Doc>()
    const openDoc = async (id: string) => {
      if (!docs.has(id)) docs.set(id, new Y.Doc({ guid: id }))
      return docs.get(id)!
    }
    const actor = { deviceId: 'bench-test', memberId: 'setup' }
    const clock = steppingClock(Date.UTC(2026, 0, 1))
    initPractice(await openDoc(DIRECTORY_DOC_ID), { name: 'Cabinet test', firstPractitioner: { displayName: 'Inès Quenouillère', profession: 'kine' } }, actor, clock)
    const written = await writePractice({ openDoc }, plan, actor, clock)
    expect(listPatients(docs.get(DIRECTORY_DOC_ID)!).items).toHaveLength(120)
    const stored = written.agendaDocIds.flatMap((id) => listAppointments(docs.get(id)!).items)
    expect(stored).toHaveLength(written.appointments)
    const inSeries = stored.filter((a) => a.seriesId !== undefined)
    expect(inSeries).toHaveLength(written.seriesAppointments)
    expect(new Set(inSeries.map((a) => a.seriesId)).size).toBe(written.series)
    // Kinds found by name: Séance most of all, never the first kind by accident (« Bilan » sorts first).
    const labels = new Map(listAppointmentKinds(docs.get(DIRECTORY_DOC_ID)!).items.map((k) => [k.id, k.label]))
    const byLabel = (label: string) => stored.filter((a) => labels.get(a.kindId ?? '') === label).length
    expect(byLabel(KIND_LABELS.session) / stored.length).toBeGreaterThan(0.75)
    expect(byLabel(KIND_LABELS.assessment) / stored.length).toBeLessThan(0.1)
    // Without the option, the patients' month index is left alone (the benchmarks' default).
    expect(patientMonths(docs.get(DIRECTORY_DOC_ID)!, written.patientIds[0]!)?.months).toEqual([])
  })

  it('writes a 10-year practice from its first month: no patient born after the day it is written', async () => {
    const spec = defaultSpec(TODAY, { practitioners: 1, patients: 400, years: 10 })
    const plan = planPractice(spec)
    const [y, m] = spec.firstMonth.split('-').map(Number) as [number, number]
    expect(Math.max(...plan.patients.map((p) => Number(p.birthDate?.slice(0, 4))))).toBeLessThan(y)
    const docs = new Map<string, Y.Doc>()
    const openDoc = async (id: string) => {
      if (!docs.has(id)) docs.set(id, new Y.Doc({ guid: id }))
      return docs.get(id)!
    }
    const actor = { deviceId: 'bench-test', memberId: 'setup' }
    // The bench writes at the agenda's first month (fixture.ts); the model refuses a birth date after « today ».
    const clock = steppingClock(Date.UTC(y, m - 1, 1))
    initPractice(await openDoc(DIRECTORY_DOC_ID), { name: 'Cabinet test', firstPractitioner: { displayName: 'Inès Quenouillère', profession: 'kine' } }, actor, clock)
    // Its patients, and the agenda's first month (the rest is the same writing, later).
    const first = new Map([...plan.agenda].slice(0, 1))
    await writePractice({ openDoc }, { ...plan, agenda: first }, actor, clock)
    expect(listPatients(docs.get(DIRECTORY_DOC_ID)!).items).toHaveLength(400)
  })

  it("notes each month in its patients' index when asked, as seed-demo does", async () => {
    const plan = planPractice(demoSpec(TODAY, { practitioners: 1, patients: 40, months: 2 }))
    const docs = new Map<string, Y.Doc>()
    const openDoc = async (id: string) => {
      if (!docs.has(id)) docs.set(id, new Y.Doc({ guid: id }))
      return docs.get(id)!
    }
    const actor = { deviceId: 'bench-test', memberId: 'setup' }
    const clock = steppingClock(Date.UTC(2026, 0, 1))
    initPractice(await openDoc(DIRECTORY_DOC_ID), { name: 'Cabinet test', firstPractitioner: { displayName: 'Inès Quenouillère', profession: 'kine' } }, actor, clock)
    const written = await writePractice({ openDoc }, plan, actor, clock, { indexPatientMonths: true })
    const directory = docs.get(DIRECTORY_DOC_ID)!
    for (const [i, patientId] of written.patientIds.entries()) {
      const months = [...plan.agenda].filter(([, days]) => days.flat().some((a) => a.patient === i)).map(([month]) => month)
      expect(patientMonths(directory, patientId)).toEqual({ months, complete: true })
    }
  })

  it('plans a month alone, in any order, exactly as the whole plan holds it; the outline keeps no appointment', () => {
    const spec = defaultSpec(TODAY, { practitioners: 3, patients: 300, months: 14 })
    const plan = planPractice(spec)
    const outline = outlinePractice(spec)
    expect(outline.months).toEqual([...plan.agenda.keys()])
    const before = JSON.stringify([...outline.cursors].map(([m, cs]) => [m, cs.map((c) => c && { ...c, prngState: [...c.prngState], running: [...c.running] })]))
    for (const month of [...outline.months].reverse()) expect(planMonth(outline, month)).toEqual(plan.agenda.get(month))
    // Planning a month twice gives it twice: the cursors are read, never moved.
    expect(planMonth(outline, outline.months[3]!)).toEqual(plan.agenda.get(outline.months[3]!))
    expect(JSON.stringify([...outline.cursors].map(([m, cs]) => [m, cs.map((c) => c && { ...c, prngState: [...c.prngState], running: [...c.running] })]))).toBe(before)
    expect(outline.series).toBe(plan.series)
    expect(outline.notes).toEqual(plan.notes)
    expect(outline.patients).toEqual(plan.patients)
    // Per practitioner-month a cursor of a few series and a list of days, not the appointments.
    expect(outline.cursors.size).toBe(14)
    for (const cursors of outline.cursors.values()) for (const c of cursors) expect(c!.running.size).toBeLessThanOrEqual(spec.appointmentsPerDay)
    expect(() => planMonth(outline, '2030-01')).toThrow(PlanMonthError)
  })

  it('carries a series over a month boundary when months are planned one at a time', () => {
    const outline = outlinePractice(defaultSpec(TODAY, { practitioners: 2, patients: 300, months: 6 }))
    const byMonth = outline.months.map((month) => planMonth(outline, month).flat())
    let crossing = 0
    for (let i = 1; i < byMonth.length; i++) {
      const earlier = new Map(byMonth[i - 1]!.filter((a) => a.series).map((a) => [a.series!.index, a]))
      for (const a of byMonth[i]!) {
        if (!a.series || !earlier.has(a.series.index)) continue
        const first = byMonth[i]!.filter((b) => b.series?.index === a.series!.index).sort((x, y) => x.start.localeCompare(y.start))[0]!
        const last = byMonth[i - 1]!.filter((b) => b.series?.index === a.series!.index).sort((x, y) => x.start.localeCompare(y.start)).at(-1)!
        if (first !== a) continue
        crossing++
        expect(first.series!.occurrence).toBe(last.series!.occurrence + 1)
        expect([first.patient, first.practitioner, first.start.slice(11)]).toEqual([last.patient, last.practitioner, last.start.slice(11)])
      }
    }
    expect(crossing).toBeGreaterThan(5)
  })

  it('writes the same practice in parts (directory, each month, files) as in one go', async () => {
    const spec = defaultSpec(TODAY, { practitioners: 1, patients: 120, months: 3 })
    const actor = { deviceId: 'bench-test', memberId: 'setup' }
    const write = async (streamed: boolean) => {
      const docs = new Map<string, Y.Doc>()
      const openDoc = async (id: string) => {
        if (!docs.has(id)) docs.set(id, new Y.Doc({ guid: id }))
        return docs.get(id)!
      }
      const clock = steppingClock(Date.UTC(2026, 0, 1))
      initPractice(await openDoc(DIRECTORY_DOC_ID), { name: 'Cabinet test', firstPractitioner: { displayName: 'Inès Quenouillère', profession: 'kine' } }, actor, clock)
      if (!streamed) {
        const written = await writePractice({ openDoc }, planPractice(spec), actor, clock)
        return { docs, appointments: written.appointments, series: written.seriesAppointments, notes: written.notes, files: written.patientDocIds.length }
      }
      const outline = outlinePractice(spec)
      const ids = await writeDirectory({ openDoc }, outline, actor, clock)
      let appointments = 0
      let series = 0
      for (const month of outline.months) {
        // Each month into a sink of its own, as a short-lived writer device would.
        const written = await writeMonth({ openDoc }, month, planMonth(outline, month), outline.patients, ids, actor, clock)
        appointments += written.appointments
        series += written.seriesAppointments
      }
      const files = await writeFiles({ openDoc }, outline.notes, ids, actor, clock)
      return { docs, appointments, series, notes: files.notes, files: files.patientDocIds.length }
    }
    const whole = await write(false)
    const parts = await write(true)
    expect({ ...parts, docs: parts.docs.size }).toEqual({ ...whole, docs: whole.docs.size })
    for (const [id, doc] of whole.docs) {
      if (!id.startsWith('agenda/')) continue
      const strip = (d: Y.Doc) => listAppointments(d).items.map(({ start, status, place, durationMin, occurrence }) => ({ start, status, place, durationMin, occurrence }))
      expect(strip(parts.docs.get(id)!)).toEqual(strip(doc))
    }
  })
})
