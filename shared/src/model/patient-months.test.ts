import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { fixedClock } from './actor'
import { addAppointment, initAgendaDoc, moveAppointment, updateAppointment } from './agenda'
import { DIRECTORY_MAPS } from './collections'
import { mergePatients } from './patient-duplicates'
import {
  APPOINTMENT_MONTHS,
  bindPatientMonthIndex,
  indexAgendaMonth,
  markMonthsComplete,
  monthsAroundPatient,
  notePatientMonths,
  patientMonths,
} from './patient-months'
import { addPatient, getPatient } from './patients'
import { createSeries, editSeriesOccurrences } from './series'
import { T0, alice, bob, exchange, fork } from './test-support'

const clock = fixedClock(T0)

function agenda(month: string): Y.Doc {
  const doc = new Y.Doc({ guid: `agenda/${month}` })
  initAgendaDoc(doc, month)
  return doc
}

/** A directory with two patients, and agenda months bound to it as the client binds open months. */
function practice() {
  const directory = new Y.Doc()
  const lea = addPatient(directory, { birthName: 'Martin', firstNames: 'Léa' }, alice, clock)
  const paul = addPatient(directory, { birthName: 'Garnier', firstNames: 'Paul' }, alice, clock)
  const months = new Map<string, Y.Doc>()
  const unbinds: (() => void)[] = []
  const open = (month: string) => {
    let doc = months.get(month)
    if (!doc) {
      doc = agenda(month)
      months.set(month, doc)
      unbinds.push(bindPatientMonthIndex(directory, doc))
    }
    return doc
  }
  return { directory, lea, paul, open, months, stop: () => unbinds.forEach((u) => u()) }
}

const visit = (start: string, patientId?: string) => ({
  start,
  durationMin: 30,
  practitionerId: 'pr1',
  ...(patientId ? { patientId } : { title: 'Réunion' }),
})

describe("a patient's agenda months", () => {
  it('starts empty and complete for a new patient', () => {
    const { directory, lea } = practice()
    expect(patientMonths(directory, lea)).toEqual({ months: [], complete: true })
    expect(patientMonths(directory, 'nobody')).toBeNull()
    // The index is no field of the patient as the views read it.
    expect(getPatient(directory, lea)).not.toHaveProperty(APPOINTMENT_MONTHS)
  })

  it('follows what this device writes: booking, a move to another month, a change of patient', () => {
    const { directory, lea, paul, open } = practice()
    const id = addAppointment(open('2026-11'), visit('2026-11-23T09:00', lea), alice, clock)
    addAppointment(open('2026-11'), visit('2026-11-24T12:00'), alice, clock) // no patient: nothing noted
    expect(patientMonths(directory, lea)).toEqual({ months: ['2026-11'], complete: true })

    moveAppointment(open('2026-11'), open('2027-01'), id, { start: '2027-01-05T09:00' }, alice, clock)
    // Only added: the old month stays listed (opening it finds nothing).
    expect(patientMonths(directory, lea)?.months).toEqual(['2026-11', '2027-01'])

    updateAppointment(open('2027-01'), id, { patientId: paul }, alice, clock)
    expect(patientMonths(directory, paul)?.months).toEqual(['2027-01'])
  })

  it('follows series, created and moved across months', async () => {
    const { directory, lea, open } = practice()
    const openMonth = async (month: string) => open(month)
    const { seriesId, appointmentIds } = await createSeries(
      directory,
      openMonth,
      visit('2026-11-23T09:00', lea),
      { freq: 'WEEKLY', interval: 1, byDay: ['MO'], count: 3 },
      alice,
      clock,
    )
    expect(patientMonths(directory, lea)?.months).toEqual(['2026-11', '2026-12'])
    // The third session (7 December) moved to February.
    await editSeriesOccurrences(directory, openMonth, { id: appointmentIds[2]!, seriesId }, 'this', { start: '2027-02-01T09:00' }, alice, clock)
    expect(patientMonths(directory, lea)?.months).toEqual(['2026-11', '2026-12', '2027-02'])
  })

  it('leaves remote changes to the device that made them', () => {
    const { directory, lea, open } = practice()
    const nov = open('2026-11')
    const other = fork(nov)
    addAppointment(other, visit('2026-11-23T09:00', lea), bob, clock)
    exchange(nov, other)
    expect(patientMonths(directory, lea)?.months).toEqual([])
  })

  it('merges months noted concurrently on two devices', () => {
    const { directory, lea } = practice()
    const copy = fork(directory)
    notePatientMonths(directory, [{ patientId: lea, month: '2026-11' }])
    notePatientMonths(copy, [
      { patientId: lea, month: '2026-12' },
      { patientId: lea, month: '2026-11' },
    ])
    exchange(directory, copy)
    for (const doc of [directory, copy]) expect(patientMonths(doc, lea)).toEqual({ months: ['2026-11', '2026-12'], complete: true })
  })

  it('indexes a whole month at once, skipping patients this directory does not hold yet', () => {
    const { directory, lea, paul } = practice()
    const nov = agenda('2026-11')
    addAppointment(nov, visit('2026-11-02T09:00', lea), alice, clock)
    addAppointment(nov, visit('2026-11-03T09:00', paul), alice, clock)
    addAppointment(nov, visit('2026-11-04T09:00', 'notSyncedYetPatient01'), alice, clock)
    expect(indexAgendaMonth(directory, nov)).toEqual({ noted: 2, unknownPatients: 1 })
    expect(indexAgendaMonth(directory, nov)).toEqual({ noted: 0, unknownPatients: 1 })
    expect(patientMonths(directory, paul)?.months).toEqual(['2026-11'])
  })

  it('gives a patient of an older version a list that is not known complete, until looked through', () => {
    const { directory, lea } = practice()
    const record = directory.getMap(DIRECTORY_MAPS.patients).get(lea) as Y.Map<unknown>
    record.delete(APPOINTMENT_MONTHS)
    expect(patientMonths(directory, lea)).toEqual({ months: [], complete: false })
    notePatientMonths(directory, [{ patientId: lea, month: '2026-11' }])
    expect(patientMonths(directory, lea)).toEqual({ months: ['2026-11'], complete: false })
    markMonthsComplete(directory, lea)
    expect(patientMonths(directory, lea)).toEqual({ months: ['2026-11'], complete: true })
  })

  it('after a merge of duplicates, the kept patient has the months of both', () => {
    const { directory, lea, paul, open } = practice()
    const nov = open('2026-11')
    addAppointment(nov, visit('2026-11-02T09:00', lea), alice, clock)
    addAppointment(open('2027-03'), visit('2027-03-02T09:00', paul), alice, clock)
    mergePatients(directory, paul, lea, alice, clock)
    expect(patientMonths(directory, paul)).toEqual({ months: ['2026-11', '2027-03'], complete: true })
  })

  it('names the months around a patient of an older version, across a year end', () => {
    expect(monthsAroundPatient('2026-11', '2026-12', 1, 2)).toEqual(['2026-10', '2026-11', '2026-12', '2027-01', '2027-02'])
    expect(monthsAroundPatient('2026-01', '2026-01', 1, 0)).toEqual(['2025-12', '2026-01'])
  })
})
