/**
 * « Réimporter une exportation »: a seeded generated practice (tests/bench/generate.ts: patients,
 * appointments with cancellations and home visits, notes) plus a hand-made series across the
 * March 2027 DST change (one occurrence cancelled, one moved to another month, one deleted), a
 * site, a kind offered by one practitioner, ordonnances and attachments — exported by the real
 * export, read back by the import, written into a new practice through the model, and compared
 * with the original record by record, ids aside. Real Yjs docs, in process. The seed is printed.
 *
 * Bad archives — cut short, a line missing a field, a broken JSON line — are refused with a named
 * error that says where, and nothing is written.
 */
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  addAbsence,
  addAppointment,
  addAppointmentKind,
  addAttachment,
  addNote,
  addPrescription,
  addSite,
  agendaDocId,
  createSeries,
  DIRECTORY_DOC_ID,
  editSeriesOccurrences,
  initPractice,
  labelDevice,
  listAbsences,
  listAppointmentKinds,
  listAppointments,
  listAttachments,
  listFileOpenings,
  listNotes,
  listPatients,
  listPractitioners,
  listPrescriptions,
  listSeries,
  listSites,
  patientDocId,
  recordFileOpening,
  reminderOptOutOf,
  setAppointmentStatus,
  setReminderOptOut,
  softDeleteAppointment,
  softDeleteAppointmentKind,
  toInstant,
  updateAppointment,
  updateNote,
  updatePatient,
  updatePractice,
  updatePractitioner,
  type Actor,
  type Appointment,
  type RecordMeta,
} from '../shared/src/model'
import { exportPractice } from '../client/src/export/export-practice'
import type { ExportSource } from '../client/src/export/export-source'
import { ArchiveImportError } from '../client/src/import/archive-error'
import { readArchive } from '../client/src/import/archive-read'
import { unzipArchive, type ArchiveFiles } from '../client/src/import/archive-unzip'
import { practiceIsNew, writeArchive, type ImportIds } from '../client/src/import/archive-write'
import { getImportBatch } from '../client/src/import/import-batch'
import { planUndo, undoImport } from '../client/src/import/import-undo'
import { defaultSpec, planPractice, steppingClock, writePractice } from './bench/generate'
import { sha256Hex } from './helpers/export-archive'
import { TEST_TIME_ZONE, TEST_TODAY } from './helpers/test-clock'

const SEEDS = [20_261_207, Number(process.env.TOURNEE_IMPORT_SEED ?? Math.floor(Math.random() * 1e9))]
const EXPORTED_AT = toInstant(`${TEST_TODAY}T10:00`, TEST_TIME_ZONE)
const actor = { deviceId: 'import-test', memberId: 'setup' }
const FIRST = { displayName: 'Inès Quenouillère', profession: 'kine' } as const

/** A practice as docs in memory, with an attachment store keyed by the bytes' hash. */
class Docs {
  readonly docs = new Map<string, Y.Doc>()
  readonly store = new Map<string, Uint8Array>()
  async open(id: string): Promise<Y.Doc> {
    if (!this.docs.has(id)) this.docs.set(id, new Y.Doc({ guid: id }))
    return this.docs.get(id)!
  }
  get directory(): Y.Doc {
    return this.docs.get(DIRECTORY_DOC_ID)!
  }
  async storeBytes(bytes: Uint8Array): Promise<{ hash: string }> {
    const hash = await sha256Hex(bytes)
    this.store.set(hash, bytes)
    return { hash }
  }
  source(): ExportSource {
    return {
      directory: this.directory,
      months: [...this.docs.keys()].filter((id) => id.startsWith('agenda/')).map((id) => id.slice('agenda/'.length)),
      readsClinical: true,
      withDoc: async (docId, read) => read(await this.open(docId)),
      attachmentBytes: async (hash) => this.store.get(hash)!,
    }
  }
  appointments(): Appointment[] {
    return [...this.docs].filter(([id]) => id.startsWith('agenda/')).flatMap(([, doc]) => listAppointments(doc).items.filter((a) => a.movedTo === undefined))
  }
}

async function makePractice(seed: number): Promise<Docs> {
  const practice = new Docs()
  const clock = steppingClock(Date.UTC(2026, 0, 1))
  const directory = await practice.open(DIRECTORY_DOC_ID)
  initPractice(directory, { name: 'Cabinet des Lilas', firstPractitioner: FIRST }, actor, clock)
  updatePractice(directory, { lockAfterMinutes: 12, holidayCountry: 'FR' }, actor, clock)
  const plan = planPractice(defaultSpec(TEST_TODAY, { seed, practitioners: 2, patients: 40, months: 6, appointmentsPerDay: 5 }))
  await writePractice({ openDoc: (id) => practice.open(id) }, plan, actor, clock)
  const [first, second] = listPractitioners(directory).items
  // The practice's first practitioner has left: the new practice's own (same name) must end inactive too.
  updatePractitioner(directory, first!.id, { rpps: '10001234567', active: false }, actor, clock)
  addSite(directory, { name: 'Annexe', address: { line1: '3 place du Marché', postalCode: '69003', city: 'Lyon', accessNotes: 'code 1234' } }, actor, clock)
  const kindId = addAppointmentKind(directory, { label: 'Drainage', defaultDurationMin: 45, colour: '#0891b2', practitionerIds: [second!.id] }, actor, clock)
  // A kind deleted after an appointment was booked with it: the archive still names it, and the import takes it back as retired.
  const goneKind = addAppointmentKind(directory, { label: 'Ancien soin', defaultDurationMin: 30 }, actor, clock)
  const firstMonth = [...practice.docs.keys()].filter((id) => id.startsWith('agenda/')).sort()[0]!
  const booked = listAppointments(practice.docs.get(firstMonth)!).items[0]!
  updateAppointment(practice.docs.get(firstMonth)!, booked.id, { kindId: goneKind }, actor, clock)
  softDeleteAppointmentKind(directory, goneKind, actor, clock)
  const patients = listPatients(directory).items
  const patient = patients[0]!
  updatePatient(directory, patients[1]!.id, { insurance: 'MGEN 123', tags: ['diabète', 'domicile'], archived: true }, actor, clock)

  // A series across the change to summer time: the 2nd cancelled, the 4th (1 April) moved back into March, the 5th deleted.
  const openMonth = (month: string) => practice.open(agendaDocId(month))
  const { appointmentIds } = await createSeries(
    directory,
    openMonth,
    { start: '2027-03-22T18:30', durationMin: 30, practitionerId: second!.id, patientId: patient.id, kindId, place: 'home', address: { line1: '8 rue Neuve', postalCode: '69001', city: 'Lyon' } },
    { freq: 'WEEKLY', byDay: ['MO', 'TH'], interval: 1, count: 6 },
    actor,
    clock,
  )
  setAppointmentStatus(await openMonth('2027-03'), appointmentIds[1]!, 'cancelled', actor, clock, 'Grippe')
  const fourth = listAppointments(await openMonth('2027-04')).items.find((a) => a.id === appointmentIds[3])!
  await editSeriesOccurrences(directory, openMonth, fourth, 'this', { start: '2027-03-31T10:00', note: 'décalé' }, actor, clock)
  softDeleteAppointment(await openMonth('2027-04'), appointmentIds[4]!, actor, clock)

  const file = await practice.open(patientDocId(patient.id))
  const prescriptionId = addPrescription(file, { prescriberName: 'Dr Paul Martin', prescriberRpps: '10009876543', date: '2027-03-15', indication: 'Lombalgie ; rééducation', sessionsPrescribed: 6 }, actor, clock)
  updateAppointment(await openMonth('2027-03'), appointmentIds[0]!, { prescriptionId }, actor, clock)
  addNote(file, { date: '2027-03-22', kind: 'assessment', text: 'Bilan initial :\n  douleur 6/10 — « lombaire »', appointmentId: appointmentIds[0]! }, actor, clock)
  const scan = strToU8('%PDF-1.4 ordonnance du 15 mars')
  const photo = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])
  addAttachment(file, { ...(await practice.storeBytes(scan)), name: 'ordonnance: 15/03.pdf', mime: 'application/pdf', size: scan.length, prescriptionId }, actor, clock)
  addAttachment(file, { ...(await practice.storeBytes(photo)), name: 'photo.jpg', mime: 'image/jpeg', size: photo.length }, actor, clock)

  // Absences (one labelled, one not), a refusal of reminders, the file's access log from two devices.
  addAbsence(directory, { practitionerId: second!.id, from: '2026-12-21', to: '2027-01-03', label: 'Congés' }, actor, clock)
  addAbsence(directory, { practitionerId: first!.id, from: '2027-02-10', to: '2027-02-10' }, actor, clock)
  setReminderOptOut(directory, patients[2]!.id, true, actor, clock)
  labelDevice(directory, actor.deviceId, { name: 'Tablette' }, actor, clock)
  recordFileOpening(file, actor, clock)
  recordFileOpening(file, { memberId: second!.id, deviceId: 'phone-2' }, clock)
  return practice
}

/**
 * History by a second member on a second device (the second practitioner, on « phone-2 »), months
 * after the practice was made: appointments and a note of theirs, records of the first member's
 * they changed, and one of theirs the first member changed back.
 */
async function addHistory(practice: Docs): Promise<{ colleague: Actor }> {
  const directory = practice.directory
  const second = listPractitioners(directory, { includeInactive: true }).items.find((p) => p.active)!
  const colleague = { memberId: second.id, deviceId: 'phone-2' }
  const later = steppingClock(Date.UTC(2026, 6, 1, 8))
  const months = [...practice.docs.keys()].filter((id) => id.startsWith('agenda/')).sort().slice(0, 3)
  for (const docId of months) {
    const doc = practice.docs.get(docId)!
    const items = listAppointments(doc).items
    for (const a of items.slice(0, 3)) updateAppointment(doc, a.id, { note: `revu (${a.id.slice(0, 4)})` }, colleague, later)
    const made = addAppointment(doc, { ...pick(items[5]!), note: 'pris par téléphone' }, colleague, later)
    updateAppointment(doc, made, { durationMin: 45 }, actor, later)
    addAppointment(doc, { ...pick(items[6]!), title: 'Réunion', patientId: undefined, kindId: undefined }, colleague, later)
  }
  const patient = listPatients(directory).items[0]!
  const file = await practice.open(patientDocId(patient.id))
  const noteId = addNote(file, { date: '2026-07-01', kind: 'session', text: 'Séance par le collègue' }, colleague, later)
  const theirs = listNotes(file).items.find((n) => n.createdBy.memberId === actor.memberId)!
  updateNote(file, theirs.id, { date: '2027-03-23' }, colleague, later)
  updateNote(file, noteId, { kind: 'assessment' }, actor, later)
  return { colleague }
}

/** An appointment's slot, as input for another one beside it. */
function pick(a: Appointment) {
  return { start: a.start, timeZone: a.timeZone, durationMin: a.durationMin, practitionerId: a.practitionerId, patientId: a.patientId, kindId: a.kindId }
}

const stampsOf = (r: RecordMeta) => ({ createdAt: r.createdAt, createdBy: r.createdBy, updatedAt: r.updatedAt, updatedBy: r.updatedBy })

async function exportBytes(practice: Docs): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  await exportPractice(practice.source(), { now: EXPORTED_AT, appVersion: '0.1.0-test', sink: (c) => chunks.push(c) })
  const whole = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    whole.set(c, at)
    at += c.length
  }
  return whole
}

/** A new practice as the app makes it: settings, its first practitioner, the default kinds. */
async function newPractice(): Promise<Docs> {
  const practice = new Docs()
  initPractice(await practice.open(DIRECTORY_DOC_ID), { name: 'Nouveau cabinet', firstPractitioner: FIRST }, actor, steppingClock(Date.UTC(2026, 11, 1)))
  return practice
}

async function importInto(target: Docs, bytes: Uint8Array): Promise<ImportIds & { batchId: string }> {
  const plan = readArchive(unzipArchive(bytes), TEST_TODAY)
  return writeArchive(plan, { directory: target.directory, openDoc: (id) => target.open(id), storeAttachment: (b) => target.storeBytes(b) }, actor, steppingClock(Date.UTC(2026, 11, 2)), {
    fileName: 'export.zip',
  })
}

const META = new Set(['id', 'createdAt', 'createdBy', 'updatedAt', 'updatedBy', 'deletedAt', 'deletedBy'])

/** A record's fields without its id and stamps, with the ids it points at passed through `map`. */
function content(record: object, refs: Record<string, (id: string) => string | undefined> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(record)) {
    if (META.has(key) || value === undefined) continue
    const map = refs[key]
    out[key] = map ? (Array.isArray(value) ? value.map((v: string) => map(v)) : map(value as string)) : value
  }
  return out
}

function through(map: ReadonlyMap<string, string>) {
  return (id: string) => map.get(id) ?? `unmapped:${id}`
}

/** Compares two lists of records: every original has its import at the mapped id, with the same content. */
function sameRecords<T extends { id: string }>(what: string, original: readonly T[], imported: readonly T[], ids: ReadonlyMap<string, string>, refs: Record<string, (id: string) => string | undefined> = {}) {
  const byId = new Map(imported.map((r) => [r.id, r]))
  expect(imported.length, `${what}: as many records`).toBe(original.length)
  for (const record of original) {
    const twin = byId.get(ids.get(record.id) ?? '')
    expect(twin, `${what} ${record.id} imported`).toBeDefined()
    expect(content(twin!), what).toEqual(content(record, refs))
  }
}

describe.each(SEEDS)('export → import into a new practice (seed %i)', (seed) => {
  console.log(`import-archive seed ${seed} (pin it in SEEDS, or TOURNEE_IMPORT_SEED=${seed})`)

  it('brings every record back, field by field, ids aside', async () => {
    const original = await makePractice(seed)
    const target = await newPractice()
    const ids = await importInto(target, await exportBytes(original))
    const from = original.directory
    const to = target.directory
    const series = (id: string) => ids.series.get(id) ?? ids.orphanSeries.get(id)
    const refs = {
      practitionerId: through(ids.practitioners),
      practitionerIds: through(ids.practitioners),
      patientId: through(ids.patients),
      kindId: through(ids.kinds),
      prescriptionId: through(ids.prescriptions),
      appointmentId: through(ids.appointments),
      seriesId: series,
    }

    expect(listPractitioners(from, { includeInactive: true }).items.map((p) => p.active)).toEqual(expect.arrayContaining([true, false]))
    const settings = (doc: Y.Doc) => content(Object.fromEntries(doc.getMap('practice').entries()))
    expect(settings(to)).toEqual(settings(from))
    sameRecords('practitioner', listPractitioners(from, { includeInactive: true }).items, listPractitioners(to, { includeInactive: true }).items, ids.practitioners)
    sameRecords('site', listSites(from, { includeInactive: true }).items, listSites(to, { includeInactive: true }).items, ids.sites)
    // The deleted kind comes back retired (its appointment still names it); the others as they were.
    const kinds = listAppointmentKinds(to, { includeInactive: true }).items
    const retired = kinds.find((k) => k.label === 'Ancien soin')!
    expect(retired.active).toBe(false)
    sameRecords('kind', listAppointmentKinds(from, { includeInactive: true }).items, kinds.filter((k) => k !== retired), ids.kinds, refs)
    sameRecords('patient', listPatients(from, { includeArchived: true }).items, listPatients(to, { includeArchived: true }).items, ids.patients)
    expect(listSeries(from).items).toHaveLength(1)
    sameRecords('series', listSeries(from).items, listSeries(to).items, ids.series, refs)

    const appointments = original.appointments()
    expect(appointments.some((x) => x.status === 'cancelled' && x.cancelReason)).toBe(true)
    expect(appointments.some((x) => x.place === 'home')).toBe(true)
    expect(appointments.filter((x) => x.seriesId !== undefined).length).toBeGreaterThan(10)
    sameRecords('appointment', appointments, target.appointments(), ids.appointments, refs)

    let notes = 0
    for (const patient of listPatients(from, { includeArchived: true }).items) {
      const before = await original.open(patientDocId(patient.id))
      const after = await target.open(patientDocId(ids.patients.get(patient.id)!))
      sameRecords('prescription', listPrescriptions(before).items, listPrescriptions(after).items, ids.prescriptions)
      sameRecords('note', listNotes(before).items, listNotes(after).items, ids.notes, refs)
      notes += listNotes(before).items.length
      // Attachments: the same bytes under the same name and type (the store gives the hash).
      const files = listAttachments(after).items
      expect(files.length).toBe(listAttachments(before).items.length)
      for (const file of listAttachments(before).items) {
        const twin = files.find((f) => f.id === ids.attachments.get(file.id))!
        expect(content(twin, { hash: (h) => strFromU8(target.store.get(h)!, true) })).toEqual(content(file, { ...refs, hash: (h) => strFromU8(original.store.get(h)!, true) }))
      }
    }
    expect(notes).toBeGreaterThan(5)

    // Absences, refusals of reminders, access logs (a practitioner's opening names their new id).
    sameRecords('absence', listAbsences(from).items, listAbsences(to).items, new Map(listAbsences(from).items.map((a, i) => [a.id, listAbsences(to).items[i]?.id ?? ''])), refs)
    expect(listAbsences(from).items).toHaveLength(2)
    for (const patient of listPatients(from, { includeArchived: true }).items) {
      expect(reminderOptOutOf(to, ids.patients.get(patient.id)!), patient.id).toBe(reminderOptOutOf(from, patient.id))
      const openings = listFileOpenings(await original.open(patientDocId(patient.id)))
      const memberOf = (id: string) => ids.practitioners.get(id) ?? id
      expect(listFileOpenings(await target.open(patientDocId(ids.patients.get(patient.id)!)))).toEqual(openings.map((o) => ({ ...o, by: { ...o.by, memberId: memberOf(o.by.memberId) } })))
    }
    expect(listPatients(from).items.filter((p) => reminderOptOutOf(from, p.id))).toHaveLength(1)
    expect(listFileOpenings(await original.open(patientDocId(listPatients(from).items[0]!.id)))).toHaveLength(2)
  })

  it("gives appointments and notes back the stamps of their Provenance — who made and changed them, when, from which device — a practitioner's named by their new id", async () => {
    const original = await makePractice(seed)
    const { colleague } = await addHistory(original)
    const target = await newPractice()
    const importedAt = Date.UTC(2026, 11, 2)
    const ids = await importInto(target, await exportBytes(original))
    const memberOf = (id: string) => ids.practitioners.get(id) ?? id
    const mapped = (r: RecordMeta) => {
      const s = stampsOf(r)
      return { ...s, createdBy: { ...s.createdBy, memberId: memberOf(s.createdBy.memberId) }, updatedBy: { ...s.updatedBy, memberId: memberOf(s.updatedBy.memberId) } }
    }

    const appointments = original.appointments()
    const imported = new Map(target.appointments().map((a) => [a.id, a]))
    for (const a of appointments) expect(stampsOf(imported.get(ids.appointments.get(a.id)!)!), `appointment ${a.id}`).toEqual(mapped(a))
    // The history is there to give back: two members on two devices, records changed since made.
    const by = (who: Actor) => appointments.filter((a) => a.createdBy.deviceId === who.deviceId && a.createdBy.memberId === who.memberId)
    expect(by(colleague).length).toBeGreaterThanOrEqual(6)
    expect(by(actor).length).toBeGreaterThan(100)
    expect(appointments.filter((a) => a.updatedBy.memberId === colleague.memberId && a.createdBy.memberId === actor.memberId).length).toBeGreaterThanOrEqual(9)
    expect(appointments.filter((a) => a.createdBy.memberId === colleague.memberId && a.updatedBy.memberId === actor.memberId)).toHaveLength(3)
    // The colleague is one of the archive's practitioners: a new id here; the other member keeps theirs.
    expect(memberOf(colleague.memberId)).not.toBe(colleague.memberId)
    expect(memberOf(actor.memberId)).toBe(actor.memberId)

    let notes = 0
    for (const patient of listPatients(original.directory, { includeArchived: true }).items) {
      const before = listNotes(await original.open(patientDocId(patient.id))).items
      const after = new Map(listNotes(await target.open(patientDocId(ids.patients.get(patient.id)!))).items.map((n) => [n.id, n]))
      for (const n of before) expect(stampsOf(after.get(ids.notes.get(n.id)!)!), `note ${n.id}`).toEqual(mapped(n))
      notes += before.filter((n) => n.updatedAt !== n.createdAt).length
    }
    expect(notes).toBe(2)

    // Records without a Provenance (patients, series, ordonnances) keep the import's stamps.
    for (const p of listPatients(target.directory, { includeArchived: true }).items) expect(stampsOf(p)).toEqual({ createdAt: importedAt, createdBy: actor, updatedAt: importedAt, updatedBy: actor })
  })

  it('is undone whole, records changed in the old practice included, but for a record changed since the import', async () => {
    const original = await makePractice(seed)
    await addHistory(original)
    const target = await newPractice()
    const ids = await importInto(target, await exportBytes(original))
    const imported = target.appointments()
    expect(imported.filter((a) => a.updatedAt !== a.createdAt).length).toBeGreaterThanOrEqual(12)
    // Each appointment listed once; those whose stamps came back, with the updatedAt written.
    const batch = getImportBatch(target.directory, ids.batchId)!
    expect(new Set(batch.appointments.map((r) => r.id)).size).toBe(batch.appointments.length)
    expect(batch.written.size).toBe(imported.length)

    // A patient's appointment (not of a series) changed after the import, from another device.
    const changed = imported.find((a) => a.seriesId === undefined && a.patientId !== undefined && a.updatedAt !== a.createdAt)!
    const month = await target.open(agendaDocId(changed.start.slice(0, 7)))
    updateAppointment(month, changed.id, { note: 'vu après import' }, { memberId: 'nouveau', deviceId: 'poste-2' }, steppingClock(Date.UTC(2026, 11, 2, 9)))
    const plan = await undoImport({ directory: target.directory, openDoc: (id) => target.open(id) }, ids.batchId, actor, steppingClock(Date.UTC(2026, 11, 3)))
    expect(plan.keep).toEqual([
      { kind: 'appointment', id: changed.id, start: changed.start, name: expect.any(String), reason: 'edited' },
      { kind: 'patient', id: changed.patientId, name: expect.any(String), reason: 'appointments' },
    ])
    expect(target.appointments().filter((a) => a.deletedAt === undefined).map((a) => a.id)).toEqual([changed.id])
    expect(listPatients(target.directory).items.map((p) => p.id)).toEqual([changed.patientId])
    expect(listSeries(target.directory).items).toEqual([])
  })

  it('is undone by « Annuler cet import »: everything it created goes, the practice is new again, and the archive comes back in', async () => {
    const bytes = await exportBytes(await makePractice(seed))
    const target = await newPractice()
    const ids = await importInto(target, bytes)
    const batch = getImportBatch(target.directory, ids.batchId)!
    expect(batch).toMatchObject({ source: 'archive', fileName: 'export.zip', finishedAt: expect.any(Number) })
    expect(batch.patients).toHaveLength(ids.patients.size)
    expect(batch.series).toHaveLength(ids.series.size)
    expect(batch.absences).toHaveLength(2)
    const undoTarget = { directory: target.directory, openDoc: (id: string) => target.open(id) }
    const plan = await undoImport(undoTarget, ids.batchId, actor, steppingClock(Date.UTC(2026, 11, 3)))
    expect(plan.keep).toEqual([])
    expect(plan.remove.patients).toHaveLength(ids.patients.size)
    expect(listPatients(target.directory, { includeArchived: true }).items).toEqual([])
    expect(target.appointments().filter((a) => a.deletedAt === undefined)).toEqual([])
    expect(listSeries(target.directory).items).toEqual([])
    expect(listAbsences(target.directory).items).toEqual([])
    expect(practiceIsNew(target.directory)).toBe(true)
    expect(await planUndo(undoTarget, ids.batchId)).toMatchObject({ removeCount: 0 })
    const again = await importInto(target, bytes)
    expect(listPatients(target.directory, { includeArchived: true }).items).toHaveLength(again.patients.size)
  })
})

describe('a bad archive imports nothing', () => {
  let good: Uint8Array | null = null
  const goodArchive = async () => (good ??= await exportBytes(await makePractice(SEEDS[0]!)))

  async function refused(bytes: Uint8Array): Promise<ArchiveImportError> {
    const target = await newPractice()
    const before = Y.encodeStateAsUpdate(target.directory)
    const error = await importInto(target, bytes).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ArchiveImportError)
    // Nothing written: the directory is as it was, and no other doc was opened to be written.
    expect(Y.encodeStateAsUpdate(target.directory)).toEqual(before)
    expect([...target.docs.keys()]).toEqual([DIRECTORY_DOC_ID])
    return error as ArchiveImportError
  }

  /** The archive with one FHIR file changed by `edit` (its lines), zipped again. */
  async function edited(path: string, edit: (lines: string[]) => string[]): Promise<Uint8Array> {
    const files = unzipSync(await goodArchive())
    files[path] = strToU8(edit(strFromU8(files[path]!).split('\n')).join('\n'))
    return zipSync(files)
  }

  it('refuses a truncated zip', async () => {
    const bytes = await goodArchive()
    for (const keep of [0.5, 0.99]) {
      const error = await refused(bytes.subarray(0, Math.floor(bytes.length * keep)))
      expect(error.problem).toBe('truncated')
    }
  })

  it('refuses a line with a missing field, naming the file, line and field', async () => {
    const bytes = await edited('fhir/Patient.ndjson', (lines) => lines.map((line, i) => (i === 2 ? line.replace(/"family":"[^"]*",?/, '') : line)))
    const error = await refused(bytes)
    expect(error).toMatchObject({ problem: 'bad_field', where: { file: 'fhir/Patient.ndjson', line: 3, field: 'birthName' } })
    expect(error.message).toMatch(/^fhir\/Patient\.ndjson, ligne 3, champ « birthName » : /)
  })

  it('refuses a line missing its start, a broken line, a reference to nothing, a file cut short', async () => {
    const noStart = await refused(await edited('fhir/Appointment.ndjson', (lines) => lines.map((line, i) => (i === 4 ? line.replace(/"start":"[^"]*",/, '') : line))))
    expect(noStart.where).toEqual({ file: 'fhir/Appointment.ndjson', line: 5, field: 'start' })
    const broken = await refused(await edited('fhir/Appointment.ndjson', (lines) => lines.map((line, i) => (i === 7 ? line.slice(0, 40) : line))))
    expect(broken).toMatchObject({ problem: 'bad_json', where: { file: 'fhir/Appointment.ndjson', line: 8 } })
    const dangling = await refused(await edited('fhir/Appointment.ndjson', (lines) => lines.map((line, i) => (i === 1 ? line.replace(/"Practitioner\/[^"]+"/, '"Practitioner/personne"') : line))))
    expect(dangling).toMatchObject({ problem: 'unknown_reference', where: { file: 'fhir/Appointment.ndjson', line: 2 } })
    const short = await refused(await edited('fhir/Appointment.ndjson', (lines) => lines.slice(0, 10)))
    expect(short).toMatchObject({ problem: 'count_mismatch', where: { file: 'fhir/Appointment.ndjson' } })
  })

  it("drops, and counts, an optional link to a record the archive lacks (an ordonnance deleted since), rather than refusing Tournée's own archive", async () => {
    const bytes = await edited('fhir/Appointment.ndjson', (lines) => lines.map((line, i) => (i === 0 ? line.replace(/"participant":/, '"basedOn":[{"reference":"ServiceRequest/supprimee"}],"participant":') : line)))
    const plan = readArchive(unzipArchive(bytes), TEST_TODAY)
    expect(plan.droppedLinks).toBe(1)
    expect([...plan.records.appointments()].every((a) => a.fields.prescriptionId !== 'supprimee')).toBe(true)
  })

  it('refuses a Provenance without its device, or with a change before its creation, naming the line', async () => {
    const json = (line: string) => JSON.parse(line) as { activity: { coding: Array<{ code: string }> }; agent: unknown[] }
    const noDevice = await refused(
      await edited('fhir/Provenance.ndjson', (lines) => lines.map((line, i) => (i === 2 ? JSON.stringify({ ...json(line), agent: json(line).agent.slice(0, 1) }) : line))),
    )
    expect(noDevice).toMatchObject({ problem: 'bad_field', where: { file: 'fhir/Provenance.ndjson', line: 3, field: 'agent' } })
    let update = -1
    const swapped = await refused(
      await edited('fhir/Provenance.ndjson', (lines) => {
        update = lines.findIndex((line) => line !== '' && json(line).activity.coding[0]!.code === 'UPDATE')
        const out = [...lines]
        ;[out[update - 1], out[update]] = [lines[update]!, lines[update - 1]!]
        return out
      }),
    )
    expect(swapped).toMatchObject({ problem: 'bad_field', where: { file: 'fhir/Provenance.ndjson', line: update, field: 'activity' } })
  })

  it('writes from a second read of the zip: the plan holds the setup and counts, and each file of records is read again as it is written', async () => {
    const files = unzipArchive(await goodArchive())
    const reads = new Map<string, number>()
    const counting: ArchiveFiles = {
      has: (path) => files.has(path),
      get: (path) => files.get(path),
      *textChunks(path) {
        reads.set(path, (reads.get(path) ?? 0) + 1)
        yield* files.textChunks(path)
      },
    }
    const plan = readArchive(counting, TEST_TODAY)
    const bulk = ['fhir/Patient.ndjson', 'fhir/ServiceRequest.ndjson', 'fhir/Appointment.ndjson', 'fhir/DocumentReference.ndjson', 'fhir/AuditEvent.ndjson', 'fhir/DocumentReference.pieces-jointes.ndjson']
    const checked = new Map(bulk.map((path) => [path, reads.get(path) ?? 0]))
    expect(plan.counts.appointments).toBeGreaterThan(500)
    const target = await newPractice()
    await writeArchive(plan, { directory: target.directory, openDoc: (id) => target.open(id), storeAttachment: (b) => target.storeBytes(b) }, actor, steppingClock(Date.UTC(2026, 11, 2)), { fileName: 'export.zip' })
    for (const path of bulk) expect(reads.get(path), path).toBe(checked.get(path)! + 1)
    expect(target.appointments()).toHaveLength(plan.counts.appointments)
  })

  it('refuses to import into a practice that already has patients', async () => {
    const target = await makePractice(SEEDS[0]!)
    await expect(importInto(target, await goodArchive())).rejects.toMatchObject({ problem: 'target_not_empty' })
  })
})
