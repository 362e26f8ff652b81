/**
 * « Exporter le cabinet » over a generated practice (tests/bench/generate.ts: patients, series,
 * cancellations, home visits, notes) plus a hand-made series across the March 2027 DST change,
 * an ordonnance, attachments: the archive is read back with independent parts (fflate's unzip, the
 * official FHIR R4 JSON schema with ajv, ical.js, csv-parse) and compared with the model, record by
 * record. The practice is seeded: the seed is printed, and a failing one can be pinned below.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  addAbsence,
  addAttachment,
  addPrescription,
  agendaDocId,
  createSeries,
  DIRECTORY_DOC_ID,
  editSeriesOccurrences,
  initPractice,
  labelDevice,
  listAppointments,
  listPatients,
  listPractitioners,
  patientDocId,
  recordFileOpening,
  setAppointmentStatus,
  setReminderOptOut,
  toInstant,
  updateAppointment,
  updatePractitioner,
  type Appointment,
} from '../shared/src/model'
import { exportPractice, ExportCancelledError, type ExportProgress } from '../client/src/export/export-practice'
import type { ExportSource } from '../client/src/export/export-source'
import type { ExportManifest } from '../client/src/export/manifest'
import { fhirId } from '../client/src/export/fhir-resource'
import { defaultSpec, planPractice, steppingClock, writePractice } from './bench/generate'
import { TEST_TIME_ZONE, TEST_TODAY } from './helpers/test-clock'
import { csvRows, fhirErrors, icsOccurrences, ndjsonLines, sha256Hex, text, unzipArchive, type Archive, type Resource } from './helpers/export-archive'

const SEEDS = [20_261_207, Number(process.env.TOURNEE_EXPORT_SEED ?? Math.floor(Math.random() * 1e9))]
const EXPORTED_AT = toInstant(`${TEST_TODAY}T10:00`, TEST_TIME_ZONE)
const actor = { deviceId: 'export-test', memberId: 'setup' }

interface Practice {
  docs: Map<string, Y.Doc>
  source: (readsClinical: boolean) => ExportSource
  seriesId: string
  prescriptionId: string
}

async function makePractice(seed: number): Promise<Practice> {
  const docs = new Map<string, Y.Doc>()
  const openDoc = async (id: string) => {
    if (!docs.has(id)) docs.set(id, new Y.Doc({ guid: id }))
    return docs.get(id)!
  }
  const openMonth = (month: string) => openDoc(agendaDocId(month))
  const clock = steppingClock(Date.UTC(2026, 0, 1))
  const directory = await openDoc(DIRECTORY_DOC_ID)
  initPractice(directory, { name: 'Cabinet des Lilas', firstPractitioner: { displayName: 'Inès Quenouillère', profession: 'kine' } }, actor, clock)
  const plan = planPractice(defaultSpec(TEST_TODAY, { seed, practitioners: 2, patients: 60, months: 12, appointmentsPerDay: 6 }))
  await writePractice({ openDoc }, plan, actor, clock)
  const [first] = listPractitioners(directory).items
  updatePractitioner(directory, first!.id, { rpps: '10001234567' }, actor, clock)
  const patient = listPatients(directory).items[0]!

  // A series across the change to summer time (Sunday 28 March 2027): Mondays and Thursdays at
  // 18:30, the second occurrence cancelled, the fourth moved to the next morning.
  const { seriesId, appointmentIds } = await createSeries(
    directory,
    openMonth,
    { start: '2027-03-22T18:30', durationMin: 30, practitionerId: first!.id, patientId: patient.id, place: 'practice' },
    { freq: 'WEEKLY', byDay: ['MO', 'TH'], interval: 1, count: 6 },
    actor,
    clock,
  )
  setAppointmentStatus(await openMonth('2027-03'), appointmentIds[1]!, 'cancelled', actor, clock, 'Grippe')
  const april = (await openMonth('2027-04'))
  const fourth = listAppointments(april).items.find((a) => a.id === appointmentIds[3])!
  await editSeriesOccurrences(directory, openMonth, fourth, 'this', { start: '2027-04-02T10:00' }, actor, clock)

  // The patient's file: an ordonnance the series is based on, and two attachments.
  const file = await openDoc(patientDocId(patient.id))
  const prescriptionId = addPrescription(file, { prescriberName: 'Dr Paul Martin', prescriberRpps: '10009876543', date: '2027-03-15', indication: 'Lombalgie ; rééducation', sessionsPrescribed: 6 }, actor, clock)
  updateAppointment(await openMonth('2027-03'), appointmentIds[0]!, { prescriptionId }, actor, clock)
  const scan = new TextEncoder().encode('%PDF-1.4 ordonnance du 15 mars')
  const photo = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])
  const kept = new Map([[await sha256Hex(scan), scan]])
  addAttachment(file, { hash: await sha256Hex(scan), name: 'ordonnance: 15/03.pdf', mime: 'application/pdf', size: scan.length, prescriptionId }, actor, clock)
  addAttachment(file, { hash: await sha256Hex(photo), name: 'photo.jpg', mime: 'image/jpeg', size: photo.length }, actor, clock)
  // What the export carries since issue 21's second half: absences, a refusal of reminders, who opened the file, from which device.
  addAbsence(directory, { practitionerId: first!.id, from: '2026-12-21', to: '2027-01-03', label: 'Congés' }, actor, clock)
  setReminderOptOut(directory, patient.id, true, actor, clock)
  labelDevice(directory, actor.deviceId, { name: 'Tablette du cabinet' }, actor, clock)
  recordFileOpening(file, actor, clock)
  recordFileOpening(file, { memberId: first!.id, deviceId: 'phone-ines' }, clock)

  const source = (readsClinical: boolean): ExportSource => ({
    directory,
    months: [...docs.keys()].filter((id) => id.startsWith('agenda/')).map((id) => id.slice('agenda/'.length)),
    readsClinical,
    withDoc: async (docId, read) => read(await openDoc(docId)),
    // The photo is on the relay only, which this offline device cannot reach.
    attachmentBytes: async (hash) => {
      const bytes = kept.get(hash)
      if (!bytes) throw new Error('offline: not on this device')
      return bytes
    },
  })
  return { docs, source, seriesId, prescriptionId }
}

async function runExport(source: ExportSource, extra: { signal?: AbortSignal; onProgress?: (p: ExportProgress) => void } = {}) {
  const chunks: Uint8Array[] = []
  const manifest = await exportPractice(source, { now: EXPORTED_AT, appVersion: '0.1.0-test', sink: (c) => chunks.push(c), ...extra })
  return { manifest, archive: unzipArchive(chunks) }
}

function allAppointments(docs: Map<string, Y.Doc>): Appointment[] {
  return [...docs].filter(([id]) => id.startsWith('agenda/')).flatMap(([, doc]) => listAppointments(doc).items.filter((a) => a.movedTo === undefined))
}

function fhirFiles(archive: Archive): string[] {
  return Object.keys(archive).filter((path) => path.startsWith('fhir/'))
}

describe.each(SEEDS)('export of a generated practice (seed %i)', (seed) => {
  console.log(`export-practice seed ${seed} (pin it in SEEDS, or TOURNEE_EXPORT_SEED=${seed})`)
  let built: { practice: Practice; manifest: ExportManifest; archive: Archive; progress: ExportProgress[] } | null = null
  const build = async () => {
    if (!built) {
      const practice = await makePractice(seed)
      const progress: ExportProgress[] = []
      const { manifest, archive } = await runExport(practice.source(true), { onProgress: (p) => progress.push(p) })
      built = { practice, manifest, archive, progress }
    }
    return built
  }

  it('writes only FHIR R4 resources valid against the official JSON schema, references that resolve', async () => {
    const { archive, manifest } = await build()
    const ids = new Map<string, Set<string>>()
    const all: Resource[] = []
    for (const path of fhirFiles(archive)) {
      for (const resource of ndjsonLines(archive, path)) {
        expect({ path, id: resource.id, errors: fhirErrors(resource) }).toEqual({ path, id: resource.id, errors: [] })
        ids.set(resource.resourceType, (ids.get(resource.resourceType) ?? new Set()).add(resource.id))
        all.push(resource)
      }
    }
    expect([...ids.keys()].sort()).toEqual([
      'Appointment',
      'AuditEvent',
      'Basic',
      'DocumentReference',
      'HealthcareService',
      'Location',
      'Organization',
      'Patient',
      'Practitioner',
      'PractitionerRole',
      'Provenance',
      'ServiceRequest',
    ])
    for (const entry of manifest.output) expect(ndjsonLines(archive, entry.url)).toHaveLength(entry.count)
    // Every literal reference points at a resource of the archive.
    const references = JSON.stringify(all).match(/"reference":"[^"]+"/g) ?? []
    expect(references.length).toBeGreaterThan(1000)
    for (const ref of new Set(references)) {
      const [type, id] = ref.slice('"reference":"'.length, -1).split('/') as [string, string]
      expect(ids.get(type)?.has(id), ref).toBe(true)
    }
  })

  it('exports the absences, the refusals of reminders, the history (Provenance) and the access log (AuditEvent)', async () => {
    const { archive, practice } = await build()
    const roles = ndjsonLines(archive, 'fhir/PractitionerRole.ndjson') as Array<Resource & { notAvailable?: unknown[] }>
    expect(roles.flatMap((r) => r.notAvailable ?? [])).toEqual([
      { extension: [{ url: 'urn:tournee:fhir:absence-label', valueString: 'Congés' }], description: 'Congés', during: { start: '2026-12-21', end: '2027-01-03' } },
    ])
    const optedOut = ndjsonLines(archive, 'fhir/Patient.ndjson').filter((p) => JSON.stringify(p).includes('"urn:tournee:fhir:reminder-opt-out","valueBoolean":true'))
    expect(optedOut).toHaveLength(1)
    // Provenance: each appointment's creation, and its last change for those changed since (the series' moved and cancelled ones).
    const appointments = allAppointments(practice.docs)
    const provenance = ndjsonLines(archive, 'fhir/Provenance.ndjson') as Array<Resource & { target: Array<{ reference: string }>; agent: Array<{ who: { display?: string } }>; activity: { coding: Array<{ code: string }> } }>
    const aboutAppointments = provenance.filter((p) => p.target[0]!.reference.startsWith('Appointment/'))
    expect(aboutAppointments).toHaveLength(appointments.length + appointments.filter((a) => a.updatedAt !== a.createdAt).length)
    expect(aboutAppointments.filter((p) => p.activity.coding[0]!.code === 'UPDATE').length).toBeGreaterThanOrEqual(2)
    expect(provenance[0]!.agent[1]!.who.display).toBe('Tablette du cabinet')
    const audit = ndjsonLines(archive, 'fhir/AuditEvent.ndjson') as Array<Resource & { agent: Array<{ who: { display?: string } }>; recorded: string }>
    expect(audit.map((a) => a.agent[0]!.who.display)).toEqual([undefined, 'Inès Quenouillère'])
    expect(new Date(audit[0]!.recorded).getTime()).toBeLessThan(new Date(audit[1]!.recorded).getTime())
  })

  it('exports every patient and every appointment with its status, place and cancellation reason', async () => {
    const { archive, practice } = await build()
    const directory = practice.docs.get(DIRECTORY_DOC_ID)!
    const patients = listPatients(directory, { includeArchived: true }).items
    const fhirPatients = ndjsonLines(archive, 'fhir/Patient.ndjson')
    expect(fhirPatients.map((p) => p.id).sort()).toEqual(patients.map((p) => fhirId(p.id)).sort())
    const withNir = patients.find((p) => p.nir)!
    const exported = fhirPatients.find((p) => p.id === fhirId(withNir.id))!
    expect(exported.identifier).toEqual([{ use: 'official', system: 'urn:oid:1.2.250.1.213.1.4.8', value: withNir.nir, type: { text: 'NIR (identité non qualifiée)' } }])
    expect(exported.birthDate).toBe(withNir.birthDate)

    const appointments = allAppointments(practice.docs)
    const byId = new Map(ndjsonLines(archive, 'fhir/Appointment.ndjson').map((a) => [a.id, a]))
    expect(byId.size).toBe(appointments.length)
    expect(appointments.some((a) => a.status === 'cancelled')).toBe(true)
    expect(appointments.some((a) => a.place === 'home')).toBe(true)
    for (const a of appointments) {
      const r = byId.get(fhirId(a.id))!
      expect(r.status).toBe(a.status)
      expect(Date.parse(r.start as string)).toBe(toInstant(a.start, a.timeZone))
      expect(r.minutesDuration).toBe(a.durationMin)
      const actors = (r.participant as Array<{ actor: { reference?: string } }>).map((p) => p.actor.reference)
      expect(actors).toContain(`Practitioner/${fhirId(a.practitionerId)}`)
      expect(actors).toContain(a.place === 'home' ? 'Location/domicile' : 'Location/cabinet')
      if (a.status === 'cancelled' && a.cancelReason) expect(r.cancelationReason).toEqual({ text: a.cancelReason })
    }
    const based = [...byId.values()].filter((r) => r.basedOn)
    expect(based.map((r) => r.basedOn)).toEqual([[{ reference: `ServiceRequest/${fhirId(practice.prescriptionId)}` }]])
  })

  it('writes each practitioner a calendar that an independent reader expands to exactly their agenda, across DST', async () => {
    const { archive, practice } = await build()
    const directory = practice.docs.get(DIRECTORY_DOC_ID)!
    const practitioners = listPractitioners(directory).items
    const appointments = allAppointments(practice.docs).filter((a) => a.status !== 'cancelled')
    const icsPaths = Object.keys(archive).filter((p) => p.endsWith('.ics'))
    expect(icsPaths).toHaveLength(practitioners.length)
    for (const p of practitioners) {
      const path = `agenda/${p.displayName}.ics`
      const source = text(archive, path)
      expect(source.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
      for (const line of source.split('\r\n')) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75)
      const found = icsOccurrences(source).map((o) => `${new Date(o.start).toISOString()} ${o.minutes}`).sort()
      const expected = appointments.filter((a) => a.practitionerId === p.id).map((a) => `${new Date(toInstant(a.start, a.timeZone)).toISOString()} ${a.durationMin}`).sort()
      expect(found).toEqual(expected)
    }
    // The hand-made series stays one series: RRULE, the cancelled 25 March as EXDATE, the moved
    // 1 April as EXDATE and an event of its own; 18:30 is 17:30 UTC before the change, 16:30 after.
    const first = text(archive, `agenda/${practitioners[0]!.displayName}.ics`)
    const uid = `${practice.seriesId}@tournee`
    const series = icsOccurrences(first).filter((o) => o.uid === uid).map((o) => new Date(o.start).toISOString())
    expect(series).toEqual(['2027-03-22T17:30:00.000Z', '2027-03-29T16:30:00.000Z', '2027-04-05T16:30:00.000Z', '2027-04-08T16:30:00.000Z'])
    expect(first).toContain('RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;WKST=MO;COUNT=6\r\n')
    expect(first).toContain('EXDATE;TZID=Europe/Paris:20270325T183000\r\n')
    expect(first).toContain('EXDATE;TZID=Europe/Paris:20270401T183000\r\n')
  })

  it('writes CSV tables a CSV parser reads back as the model holds them', async () => {
    const { archive, practice } = await build()
    expect([...archive['csv/patients.csv']!.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const directory = practice.docs.get(DIRECTORY_DOC_ID)!
    const patients = listPatients(directory, { includeArchived: true }).items
    const [header, ...rows] = csvRows(archive, 'csv/patients.csv')
    expect(header!.slice(0, 6)).toEqual(['Identifiant', 'Nom de naissance', "Nom d'usage", 'Prénoms', 'Sexe', 'Date de naissance'])
    expect(rows).toHaveLength(patients.length)
    for (const p of patients) {
      const row = rows.find((r) => r[0] === p.id)!
      expect(row[1]).toBe(p.birthName)
      expect(row[3]).toBe(p.firstNames)
      expect(row[5]).toBe(p.birthDate ? `${p.birthDate.slice(8, 10)}/${p.birthDate.slice(5, 7)}/${p.birthDate.slice(0, 4)}` : '')
      expect(row[6]).toBe(p.nir ?? '')
    }
    const appointments = allAppointments(practice.docs)
    const [, ...appointmentRows] = csvRows(archive, 'csv/rendez-vous.csv')
    expect(appointmentRows).toHaveLength(appointments.length)
    const a = appointments.find((x) => x.status === 'cancelled' && x.cancelReason)!
    const row = appointmentRows.find((r) => r[0] === a.id)!
    expect(row.slice(1, 4)).toEqual([`${a.start.slice(8, 10)}/${a.start.slice(5, 7)}/${a.start.slice(0, 4)}`, a.start.slice(11), String(a.durationMin)])
    expect(row[10]).toBe('Annulé')
    expect(row[11]).toBe(a.cancelReason)
    const [, ...prescriptions] = csvRows(archive, 'csv/ordonnances.csv')
    expect(prescriptions.map((r) => [r[0], r[3], r[6], r[7]])).toEqual([[practice.prescriptionId, '15/03/2027', 'Lombalgie ; rééducation', '6']])
  })

  it('puts the attachments it can read under their names, says which it could not, and counts everything', async () => {
    const { archive, manifest, progress } = await build()
    const files = Object.keys(archive).filter((p) => p.startsWith('pieces-jointes/'))
    expect(files).toHaveLength(1)
    expect(files[0]).toMatch(/^pieces-jointes\/[^/]+\/ordonnance_ 15_03\.pdf$/)
    expect(text(archive, files[0]!)).toBe('%PDF-1.4 ordonnance du 15 mars')
    const refs = ndjsonLines(archive, 'fhir/DocumentReference.pieces-jointes.ndjson')
    const urls = refs.map((r) => (r.content as Array<{ attachment: { url?: string; title: string } }>)[0]!.attachment)
    expect(urls.map((u) => [u.title, u.url === undefined ? undefined : u.url.split('/').map(decodeURIComponent).join('/')])).toEqual(expect.arrayContaining([['ordonnance: 15/03.pdf', files[0]], ['photo.jpg', undefined]]))
    expect(manifest.counts.attachments).toBe(1)
    expect(manifest.counts.attachmentsMissing).toBe(1)
    expect(JSON.parse(text(archive, 'manifest.json'))).toEqual(manifest)
    expect(manifest).toMatchObject({ tourneeVersion: '0.1.0-test', exportedAt: new Date(EXPORTED_AT).toISOString(), clinical: true, timeZone: 'Europe/Paris' })
    expect(text(archive, 'LISEZMOI.txt')).toContain('Tournée 0.1.0-test')
    expect(manifest.counts.resources.Patient).toBe(ndjsonLines(archive, 'fhir/Patient.ndjson').length)
    expect(progress.at(-1)).toMatchObject({ phase: 'done' })
    expect(progress.at(-1)!.done).toBe(progress.at(-1)!.total)
  })
})

describe('export from a secretary device, and cancelled', () => {
  it("exports what a secretary's device holds, without clinical files, and says so", async () => {
    const practice = await makePractice(SEEDS[0]!)
    const { archive, manifest } = await runExport(practice.source(false))
    expect(fhirFiles(archive).sort()).toEqual([
      'fhir/Appointment.ndjson',
      'fhir/Basic.ndjson',
      'fhir/HealthcareService.ndjson',
      'fhir/Location.ndjson',
      'fhir/Organization.ndjson',
      'fhir/Patient.ndjson',
      'fhir/Practitioner.ndjson',
      'fhir/PractitionerRole.ndjson',
      'fhir/Provenance.ndjson',
    ])
    expect(Object.keys(archive).some((p) => p.startsWith('pieces-jointes/') || p === 'csv/ordonnances.csv')).toBe(false)
    expect(manifest.clinical).toBe(false)
    expect(text(archive, 'LISEZMOI.txt')).toContain("Cet appareil est celui d'un secrétariat")
  })

  it('stops at the next doc when cancelled, and says so by a named error', async () => {
    const practice = await makePractice(SEEDS[0]!)
    const controller = new AbortController()
    const seen: ExportProgress[] = []
    await expect(
      runExport(practice.source(true), {
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p)
          if (p.phase === 'agenda') controller.abort()
        },
      }),
    ).rejects.toThrow(ExportCancelledError)
    expect(seen.filter((p) => p.phase === 'agenda')).toHaveLength(1)
  })
})
