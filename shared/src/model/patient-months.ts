/**
 * Which agenda months hold a patient's appointments, so that the patient's page (and a merge of
 * duplicates) opens those month docs only, not every month of a ten-year practice. Each month doc
 * is its own relay room, so opening one is a download; the months a patient was seen in are few.
 *
 *   directory  patients  id → Y.Map { birthName, …,
 *                                     appointmentMonths: Y.Map { '2026-11': true,
 *                                                                '2027-01': true,
 *                                                                complete: true } }
 *
 * - Months are only ever added (like a series' `months`): an appointment moved to another month,
 *   or given to another patient, leaves its old month listed, and opening it costs a little and
 *   finds nothing. Two devices noting months concurrently merge: they set different keys, or the
 *   same key to the same value. No history entry is written: this is derived from the agenda.
 * - The map is created with the patient (addPatient), so it is never created twice concurrently,
 *   and marked `complete`: every appointment of the patient has been noted since. A patient
 *   created by an older version gets the map when a first month is noted, without `complete`:
 *   its page then offers to look through the months around its creation (`monthsAroundPatient`)
 *   and `markMonthsComplete` once done.
 * - Who notes: `bindPatientMonthIndex` watches an open agenda doc and notes the patient and month
 *   of every appointment this device writes or changes there, whatever view or model function
 *   wrote it (agenda, series, merge, tournée); `indexAgendaMonth` notes a whole month at once (a
 *   Node device seeding demo data, the catch-up of an older patient). A remote change is noted by
 *   the device that made it.
 */
import * as Y from 'yjs'
import { AGENDA_MAPS, DIRECTORY_MAPS } from './collections'
import { isMonth } from './doc-ids'
import { agendaMonthOfDoc } from './agenda'
import { collection, findRecord } from './records'

export const APPOINTMENT_MONTHS = 'appointmentMonths'
const COMPLETE = 'complete'

/** The months a patient's appointments are in, oldest first, and whether that list is known complete. */
export type PatientMonths = { readonly months: readonly string[]; readonly complete: boolean }

/** A new patient's (empty, complete) month index, to set in the record as it is created. */
export function newAppointmentMonths(): Y.Map<boolean> {
  const map = new Y.Map<boolean>()
  map.set(COMPLETE, true)
  return map
}

function monthsMap(patient: Y.Map<unknown>): Y.Map<boolean> | null {
  const value: unknown = patient.get(APPOINTMENT_MONTHS)
  return value instanceof Y.Map ? (value as Y.Map<boolean>) : null
}

/** Where a patient's appointments are; null when the patient is not (yet) in this directory. */
export function patientMonths(directory: Y.Doc, patientId: string): PatientMonths | null {
  const patient = findRecord(directory, DIRECTORY_MAPS.patients, patientId)
  if (!patient) return null
  const map = monthsMap(patient)
  if (!map) return { months: [], complete: false }
  const months = [...map.keys()].filter((key) => isMonth(key) && map.get(key) === true).sort()
  return { months, complete: map.get(COMPLETE) === true }
}

/**
 * Where the appointments of a patient and of the records merged into it are (`members`, from
 * PatientRedirects.membersOf): the union of their months, complete only when every list is. A
 * merged-away record keeps getting months noted when a device that had not seen the merge books
 * for it, so its survivor's page reads them here rather than from a copy made at merge time.
 */
export function membersMonths(directory: Y.Doc, members: readonly string[]): PatientMonths | null {
  const lists = members.map((id) => patientMonths(directory, id))
  const [own] = lists
  if (!own) return null
  const known = lists.filter((list): list is PatientMonths => list !== null)
  if (known.length === 1) return own
  return { months: [...new Set(known.flatMap((list) => list.months))].sort(), complete: known.every((list) => list.complete) }
}

/**
 * Notes that each patient has an appointment in its month; only what is missing is written, in
 * one transaction. A patient not in this directory (not synced yet) is skipped and counted apart.
 */
export function notePatientMonths(
  directory: Y.Doc,
  entries: Iterable<{ readonly patientId: string; readonly month: string }>,
): { noted: number; unknownPatients: number } {
  let noted = 0
  let unknownPatients = 0
  const patients = collection(directory, DIRECTORY_MAPS.patients)
  const pending = [...entries].filter((e) => isMonth(e.month))
  if (pending.length === 0) return { noted, unknownPatients }
  directory.transact(() => {
    for (const { patientId, month } of pending) {
      const patient = patients.get(patientId)
      if (!(patient instanceof Y.Map)) {
        unknownPatients++
        continue
      }
      let map = monthsMap(patient as Y.Map<unknown>)
      if (map === null) {
        // A patient from an older version: its list starts here, not known complete.
        map = new Y.Map<boolean>()
        patient.set(APPOINTMENT_MONTHS, map)
      }
      if (map.get(month) !== true) {
        map.set(month, true)
        noted++
      }
    }
  })
  return { noted, unknownPatients }
}

/** The patient and month of each live appointment of `ids` (all when absent) in a month doc. */
function appointmentsOf(agenda: Y.Doc, ids?: Iterable<string>): { patientId: string; month: string }[] {
  const month = agendaMonthOfDoc(agenda)
  const appointments = collection(agenda, AGENDA_MAPS.appointments)
  const found: { patientId: string; month: string }[] = []
  const consider = (value: unknown) => {
    if (!(value instanceof Y.Map)) return
    const patientId: unknown = value.get('patientId')
    if (typeof patientId === 'string' && patientId !== '' && !value.has('deletedAt')) found.push({ patientId, month })
  }
  if (ids === undefined) appointments.forEach(consider)
  else for (const id of ids) consider(appointments.get(id))
  return found
}

/** Notes every patient with a live appointment in this month doc. */
export function indexAgendaMonth(directory: Y.Doc, agenda: Y.Doc): { noted: number; unknownPatients: number } {
  return notePatientMonths(directory, appointmentsOf(agenda))
}

/** Marks a patient's list complete, after the months that could hold its appointments were indexed. */
export function markMonthsComplete(directory: Y.Doc, patientId: string): void {
  const patient = findRecord(directory, DIRECTORY_MAPS.patients, patientId)
  if (!patient) return
  directory.transact(() => {
    let map = monthsMap(patient)
    if (map === null) {
      map = new Y.Map<boolean>()
      patient.set(APPOINTMENT_MONTHS, map)
    }
    if (map.get(COMPLETE) !== true) map.set(COMPLETE, true)
  })
}

/**
 * After a merge of duplicates: the kept patient's months include the dropped one's (whose
 * appointments were relinked to it); complete only if both lists were.
 */
export function mergePatientMonths(directory: Y.Doc, keepId: string, dropId: string): void {
  const dropped = patientMonths(directory, dropId)
  const kept = patientMonths(directory, keepId)
  if (!dropped || !kept) return
  notePatientMonths(
    directory,
    dropped.months.map((month) => ({ patientId: keepId, month })),
  )
  if (!dropped.complete && kept.complete) {
    const map = monthsMap(findRecord(directory, DIRECTORY_MAPS.patients, keepId)!)
    map?.delete(COMPLETE)
  }
}

/**
 * Keeps the index up to date with what this device writes in an open agenda month doc: after each
 * local transaction, the appointments it created or changed are noted under their patient. Remote
 * changes are left to the device that made them. Returns the function that stops watching.
 */
export function bindPatientMonthIndex(directory: Y.Doc, agenda: Y.Doc): () => void {
  const appointments = collection(agenda, AGENDA_MAPS.appointments)
  const onChange = (events: Y.YEvent<Y.AbstractType<unknown>>[], transaction: Y.Transaction) => {
    if (!transaction.local) return
    const ids = new Set<string>()
    for (const event of events) {
      if (event.target === appointments) {
        for (const key of (event as Y.YMapEvent<unknown>).keysChanged) ids.add(key)
      } else {
        // A field of one appointment changed: find which appointment the changed map is.
        let type: Y.AbstractType<unknown> | null = event.target
        while (type !== null && type._item !== null && type._item.parent !== appointments) type = type._item.parent as Y.AbstractType<unknown>
        const id = type?._item?.parentSub
        if (typeof id === 'string') ids.add(id)
      }
    }
    if (ids.size > 0) notePatientMonths(directory, appointmentsOf(agenda, ids))
  }
  appointments.observeDeep(onChange)
  return () => appointments.unobserveDeep(onChange)
}

/**
 * The months to look through for a patient whose list is not known complete (created by an older
 * version): from `before` months before the patient was created (sessions typed in afterwards) to
 * `after` months after today (series booked ahead). `createdMonth` and `todayMonth` are 'YYYY-MM'.
 */
export function monthsAroundPatient(createdMonth: string, todayMonth: string, before = 12, after = 24): string[] {
  const index = (month: string) => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1
  const name = (i: number) => `${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`
  const months: string[] = []
  for (let i = index(createdMonth) - before; i <= index(todayMonth) + after; i++) months.push(name(i))
  return months
}
