/**
 * « Exporter le cabinet »: the whole practice, as this device holds it, in one zip of open formats
 * (docs/export.md says what is in it and what is not):
 *
 *   fhir/Organization.ndjson, Location, Practitioner, PractitionerRole, Patient,
 *   fhir/Appointment.ndjson, ServiceRequest, DocumentReference (notes, bilans),
 *   fhir/Provenance.ndjson (who made and changed appointments and notes), AuditEvent (file openings),
 *   fhir/DocumentReference.pieces-jointes.ndjson                      FHIR R4, Bulk Data layout
 *   agenda/<praticien>.ics                                            iCalendar, one per practitioner
 *   csv/patients.csv, csv/rendez-vous.csv, csv/ordonnances.csv        CSV for spreadsheets
 *   pieces-jointes/<patient>/<nom du fichier>                         the attachments' bytes
 *   manifest.json, LISEZMOI.txt                                       what each file is, counts
 *
 * It reads in three passes, each doc opened, read and let go: the directory; the agenda months,
 * oldest first (each appointment goes to the FHIR, CSV and iCalendar files at once); the patient
 * files; then the attachments one by one. Progress is reported after each doc; the signal is
 * checked between docs, and a cancelled export throws ExportCancelledError and writes nothing more.
 */
import type * as Y from 'yjs'
import {
  agendaDocId,
  deviceLabels,
  listAbsences,
  listFileOpenings,
  listAppointmentKinds,
  listAppointments,
  listAttachments,
  listNotes,
  listPatients,
  listPractitioners,
  listPrescriptions,
  listSeries,
  listSites,
  patientDisplayName,
  patientDocId,
  PatientRedirects,
  readPractice,
  reminderOptOutOf,
  DEFAULT_TIME_ZONE,
  type Absence,
  type Appointment,
  type Attachment,
  type Patient,
  type Series,
} from '../../../shared/src/model'
import { appointmentResource, seriesResource, type AppointmentContext } from './fhir-appointment'
import { attachmentResource, noteResource, serviceRequestResource } from './fhir-clinical'
import { healthcareServiceResource, homeLocation, organizationResource, premisesLocation, siteLocation, addressLine } from './fhir-practice'
import { auditEventResource, provenanceResources, type HistoryNames } from './fhir-history'
import { patientResource } from './fhir-patient'
import { practitionerResource, practitionerRoleResource } from './fhir-practitioner'
import { reference, type FhirResource } from './fhir-resource'
import { appointmentRow, appointmentsHeader, patientRow, patientsHeader, prescriptionRow, prescriptionsHeader } from './csv-tables'
import { icsCalendarEnd, icsCalendarStart, icsEvent, type IcsEvent } from './ical'
import { planSeries } from './ical-series'
import { SeriesGathering } from './series-gathering'
import { buildManifest, readme, type ExportCounts, type ExportManifest } from './manifest'
import type { ExportSource } from './export-source'
import type { SpoolFactory } from './spool'
import { safeFileName, ZipWriter, type TextEntry } from './zip-writer'

export type ExportPhase = 'directory' | 'agenda' | 'files' | 'attachments' | 'done'

export interface ExportProgress {
  readonly phase: ExportPhase
  /** Docs and attachments read so far, and how many there are (the attachments are counted once the files are read). */
  readonly done: number
  readonly total: number
}

export interface ExportOptions {
  /** The export's date (manifest, DTSTAMP, file times), epoch ms: injected, never read here. */
  readonly now: number
  readonly appVersion: string
  /** Where the archive's bytes go, as they are compressed. */
  readonly sink: (chunk: Uint8Array) => void
  /** Where each file's compressed bytes wait to be copied into the archive (zip-writer.ts; memory unless told). */
  readonly spool?: SpoolFactory
  readonly signal?: AbortSignal
  readonly onProgress?: (progress: ExportProgress) => void
}

export class ExportCancelledError extends Error {
  override name = 'ExportCancelledError'
  constructor() {
    super('The export was cancelled: no archive was written')
  }
}

/** The practice has no readable settings record on this device (not synced yet). */
export class ExportNoPracticeError extends Error {
  override name = 'ExportNoPracticeError'
  constructor() {
    super('This device does not hold the practice yet: let it sync, then export again')
  }
}

/** NDJSON: one resource a line. */
function ndjson(entry: TextEntry, resource: FhirResource): void {
  entry.write(JSON.stringify(resource) + '\n')
}

export async function exportPractice(source: ExportSource, options: ExportOptions): Promise<ExportManifest> {
  const { signal, now } = options
  const zip = new ZipWriter(options.sink, now, options.spool)
  const counts: ExportCounts = { resources: {}, csvRows: {}, icsEvents: {}, attachments: 0, attachmentsMissing: 0, unreadableRecords: 0 }
  const outputs: Array<{ type: string; path: string; count: number }> = []
  const icsFiles: Array<{ path: string; practitioner: string }> = []
  let done = 0
  let total = 1 + source.months.length
  const progress = (phase: ExportPhase) => options.onProgress?.({ phase, done, total })
  const check = () => {
    if (signal?.aborted) {
      zip.abort()
      throw new ExportCancelledError()
    }
  }
  const fhirFile = (type: string, path = `fhir/${type}.ndjson`) => {
    const output = { type, path, count: 0 }
    outputs.push(output)
    const entry = zip.text(path)
    return {
      add(resource: FhirResource) {
        ndjson(entry, resource)
        output.count++
        counts.resources[type] = (counts.resources[type] ?? 0) + 1
      },
      close: () => entry.close(),
    }
  }
  const csvFile = (name: string, header: string) => {
    const entry = zip.text(`csv/${name}`)
    entry.write(header)
    counts.csvRows[name] = 0
    return {
      add(row: string) {
        entry.write(row)
        counts.csvRows[name]!++
      },
      close: () => entry.close(),
    }
  }
  progress('directory')
  check()

  // 1. The directory: the practice, practitioners, sites, kinds, series, patients.
  const directory = source.directory
  const { practice, issue: practiceIssue } = readPractice(directory)
  if (!practice) throw new ExportNoPracticeError()
  if (practiceIssue) counts.unreadableRecords++
  const timeZone = practice.timeZone || DEFAULT_TIME_ZONE
  const practitioners = listPractitioners(directory, { includeInactive: true })
  const sites = listSites(directory, { includeInactive: true })
  const kinds = listAppointmentKinds(directory, { includeInactive: true, includeDeleted: true })
  const seriesList = listSeries(directory)
  const patients = listPatients(directory, { includeArchived: true })
  const absences = listAbsences(directory)
  counts.unreadableRecords +=
    practitioners.issues.length + sites.issues.length + kinds.issues.length + seriesList.issues.length + patients.issues.length + absences.issues.length
  const absencesOf = new Map<string, Absence[]>()
  for (const a of absences.items) absencesOf.set(a.practitionerId, [...(absencesOf.get(a.practitionerId) ?? []), a])

  const organization = fhirFile('Organization')
  organization.add(organizationResource(practice))
  organization.close()
  const locations = fhirFile('Location')
  locations.add(premisesLocation(practice))
  locations.add(homeLocation())
  for (const site of sites.items) locations.add(siteLocation(site))
  locations.close()
  const practitionerFile = fhirFile('Practitioner')
  for (const p of practitioners.items) practitionerFile.add(practitionerResource(p))
  practitionerFile.close()
  const roleFile = fhirFile('PractitionerRole')
  for (const p of practitioners.items) roleFile.add(practitionerRoleResource(p, absencesOf.get(p.id) ?? []))
  roleFile.close()
  // Kinds and series: what an import needs to make the same agenda again (fhir-extensions.ts).
  const serviceFile = fhirFile('HealthcareService')
  // Deleted kinds too (as no longer offered): appointments of theirs still name them.
  for (const kind of kinds.items) serviceFile.add(healthcareServiceResource(kind))
  serviceFile.close()
  const patientFile = fhirFile('Patient')
  const patientsCsv = csvFile('patients.csv', patientsHeader())
  const patientById = new Map<string, Patient>()
  for (const p of patients.items) {
    patientById.set(p.id, p)
    patientFile.add(patientResource(p, reminderOptOutOf(directory, p.id)))
    patientsCsv.add(patientRow(p))
  }
  patientFile.close()
  patientsCsv.close()

  const redirects = PatientRedirects.fromDirectory(directory)
  const practitionerNames = new Map(practitioners.items.map((p) => [p.id, p.displayName]))
  const devices = deviceLabels(directory)
  const names: HistoryNames = {
    memberName: (id) => practitionerNames.get(id),
    deviceName: (id) => devices.get(id)?.name ?? undefined,
  }
  const provenanceFile = fhirFile('Provenance')
  const kindLabels = new Map(kinds.items.map((k) => [k.id, k.label]))
  /** The exported patient an id stands for now (a merged duplicate's survivor). */
  const patientOf = (id: string): Patient | undefined => patientById.get(redirects.survivorOf(id)) ?? patientById.get(id)
  const context: AppointmentContext = {
    kindLabel: (id) => kindLabels.get(id),
    practitionerName: (id) => practitionerNames.get(id),
    patientReference: (id) => {
      const p = patientOf(id)
      return p ? reference('Patient', p.id, patientDisplayName(p)) : undefined
    },
  }
  const seriesFile = fhirFile('Basic')
  for (const series of seriesList.items) seriesFile.add(seriesResource(series, series.patientId ? context.patientReference(series.patientId) : undefined))
  seriesFile.close()
  done++

  // 2. The agenda, month by month: FHIR, CSV and each practitioner's calendar at once.
  const appointmentFile = fhirFile('Appointment')
  const appointmentsCsv = csvFile('rendez-vous.csv', appointmentsHeader())
  const calendars = new Map<string, { entry: TextEntry; path: string; name: string }>()
  const calendarOf = (practitionerId: string) => {
    let calendar = calendars.get(practitionerId)
    if (!calendar) {
      const name = practitionerNames.get(practitionerId) ?? `Praticien ${practitionerId}`
      const path = zip.uniqueName(`agenda/${safeFileName(name, 'praticien')}.ics`)
      calendar = { entry: zip.text(path), path, name }
      calendar.entry.write(icsCalendarStart(`${practice.name} — ${name}`, timeZone))
      calendars.set(practitionerId, calendar)
      icsFiles.push({ path, practitioner: name })
      counts.icsEvents[path] = 0
    }
    return calendar
  }
  // Calendars in the directory's order, each practitioner's even when empty.
  for (const p of practitioners.items) calendarOf(p.id)
  const seriesById = new Map<string, Series>(seriesList.items.map((s) => [s.id, s]))
  const summaryOf = (a: Pick<Appointment, 'kindId' | 'patientId' | 'title'>) => {
    const patient = a.patientId ? patientOf(a.patientId) : undefined
    const kind = a.kindId ? kindLabels.get(a.kindId) : undefined
    return [kind, patient ? patientDisplayName(patient) : a.title].filter(Boolean).join(' — ') || 'Rendez-vous'
  }
  const locationOf = (a: Pick<Appointment, 'place' | 'address'>) =>
    a.place === 'home' ? (a.address ? addressLine(a.address) : 'Domicile du patient') : practice.name
  const writeEvent = (practitionerId: string, event: IcsEvent) => {
    const calendar = calendarOf(practitionerId)
    calendar.entry.write(icsEvent(event))
    counts.icsEvents[calendar.path]!++
  }
  const singleEvent = (a: Appointment): IcsEvent => ({
    uid: `${a.id}@tournee`,
    stamp: now,
    start: a.start,
    timeZone: a.timeZone,
    durationMin: a.durationMin,
    summary: summaryOf(a),
    location: locationOf(a),
    description: a.note,
    status: 'CONFIRMED',
  })
  // Each series as one RRULE once the months of its slots are read (series-gathering.ts).
  const seriesGathering = new SeriesGathering(seriesById, (series, occurrences) => {
    const plan = planSeries(series, occurrences)
    if (plan.rule) {
      writeEvent(series.practitionerId, {
        uid: `${series.id}@tournee`,
        stamp: now,
        start: plan.rule.start,
        timeZone: series.timeZone,
        durationMin: series.durationMin,
        summary: summaryOf(series),
        location: locationOf(series),
        status: 'CONFIRMED',
        rrule: plan.rule.rrule,
        exdates: plan.rule.exdates,
      })
    }
    for (const a of plan.singles) writeEvent(a.practitionerId, singleEvent(a))
  })
  const months = [...new Set(source.months)].sort()
  for (const month of months) {
    check()
    await source.withDoc(agendaDocId(month), (doc: Y.Doc) => {
      const list = listAppointments(doc)
      counts.unreadableRecords += list.issues.length
      for (const a of list.items) {
        // The copy left behind by a move to another month: the appointment is in that month.
        if (a.movedTo !== undefined) continue
        appointmentFile.add(appointmentResource(a, context))
        for (const r of provenanceResources('Appointment', a, names)) provenanceFile.add(r)
        const patient = a.patientId ? patientOf(a.patientId) : undefined
        appointmentsCsv.add(
          appointmentRow(a, {
            practitioner: practitionerNames.get(a.practitionerId),
            patient: patient ? patientDisplayName(patient) : undefined,
            kind: a.kindId ? kindLabels.get(a.kindId) : undefined,
          }),
        )
        // Calendars show what is to be attended: a cancelled appointment is in the FHIR and CSV files only.
        if (a.status === 'cancelled') continue
        if (!seriesGathering.add(a)) writeEvent(a.practitionerId, singleEvent(a))
      }
    })
    seriesGathering.monthRead(month)
    done++
    progress('agenda')
  }
  seriesGathering.finish()
  appointmentFile.close()
  appointmentsCsv.close()
  for (const calendar of calendars.values()) {
    calendar.entry.write(icsCalendarEnd())
    calendar.entry.close()
  }

  // 3. The patient files: ordonnances, notes and bilans; the attachments' references.
  const attachments: Array<{ attachment: Attachment; patient: Patient }> = []
  if (source.readsClinical) {
    total += patients.items.length
    const requestFile = fhirFile('ServiceRequest')
    const notesFile = fhirFile('DocumentReference')
    const prescriptionsCsv = csvFile('ordonnances.csv', prescriptionsHeader())
    const auditFile = fhirFile('AuditEvent')
    for (const patient of patients.items) {
      check()
      await source.withDoc(patientDocId(patient.id), (doc: Y.Doc) => {
        const prescriptions = listPrescriptions(doc)
        const notes = listNotes(doc)
        const files = listAttachments(doc)
        counts.unreadableRecords += prescriptions.issues.length + notes.issues.length + files.issues.length
        for (const p of prescriptions.items) {
          requestFile.add(serviceRequestResource(p, patient.id))
          prescriptionsCsv.add(prescriptionRow(p, { id: patient.id, name: patientDisplayName(patient) }))
        }
        for (const n of notes.items) {
          notesFile.add(noteResource(n, patient.id))
          for (const r of provenanceResources('DocumentReference', n, names)) provenanceFile.add(r)
        }
        // Oldest first, so the ids (…acces.0, .1…) follow the file's history.
        listFileOpenings(doc)
          .reverse()
          .forEach((entry, i) => auditFile.add(auditEventResource(entry, patient.id, i, names)))
        for (const attachment of files.items) attachments.push({ attachment, patient })
      })
      done++
      progress('files')
    }
    requestFile.close()
    notesFile.close()
    auditFile.close()
    prescriptionsCsv.close()
  }
  provenanceFile.close()

  // 4. The attachments, one at a time: each file's bytes, then their references.
  total += attachments.length
  const attachmentResources: FhirResource[] = []
  for (const { attachment, patient } of attachments) {
    check()
    let path: string | undefined
    if (source.attachmentBytes) {
      try {
        const bytes = await source.attachmentBytes(attachment.hash)
        const folder = safeFileName(`${patientDisplayName(patient)} (${patient.id.slice(0, 6)})`, 'patient')
        path = zip.uniqueName(`pieces-jointes/${folder}/${safeFileName(attachment.name)}`)
        zip.bytes(path, bytes, !/^(image\/(jpeg|png|webp|heic)|application\/(pdf|zip))/.test(attachment.mime))
        counts.attachments++
      } catch (error) {
        // Offline and not on this device, or refused by the relay: listed as missing, the rest goes on.
        if (error instanceof ExportCancelledError) throw error
        counts.attachmentsMissing++
      }
    } else {
      counts.attachmentsMissing++
    }
    attachmentResources.push(attachmentResource(attachment, patient.id, path))
    done++
    progress('attachments')
  }
  if (attachmentResources.length > 0) {
    const attachmentFile = fhirFile('DocumentReference', 'fhir/DocumentReference.pieces-jointes.ndjson')
    for (const resource of attachmentResources) attachmentFile.add(resource)
    attachmentFile.close()
  }
  check()

  const manifest = buildManifest({
    now,
    appVersion: options.appVersion,
    practiceName: practice.name,
    timeZone,
    readsClinical: source.readsClinical,
    hasAttachmentStore: source.attachmentBytes !== null,
    counts,
    outputs,
    icsFiles,
  })
  writeWhole(zip, 'manifest.json', JSON.stringify(manifest, null, 2) + '\n')
  writeWhole(zip, 'LISEZMOI.txt', readme(manifest))
  await zip.finish()
  progress('done')
  return manifest
}

function writeWhole(zip: ZipWriter, path: string, text: string): void {
  const entry = zip.text(path)
  entry.write(text)
  entry.close()
}
