/**
 * Reads an export archive (client/src/export/export-practice.ts) in two passes over the zip. The
 * first (`readArchive`) reads every line of every FHIR file: JSON, its shape (fhir-records.ts), its
 * values through the model's own validators, every reference to a record of the archive, every
 * attachment's bytes and size. Any problem throws ArchiveImportError naming the file, the line and
 * the field; nothing is written before it has read everything. It keeps only the practice's setup
 * (practitioners, kinds, sites, series: a few each), every record's archive id (for references),
 * counts and stamps. The second (`ArchivePlan.records`) reads the files again as archive-write.ts
 * writes them, one record at a time: the compressed archive is held anyway, each file is inflated
 * as it is read (archive-unzip.ts), so the import never holds the practice's records at once.
 */
import {
  DEFAULT_TIME_ZONE,
  expandSeries,
  parseRRule,
  RRuleSyntaxError,
  validateAbsenceInput,
  validateAppointmentInput,
  validateAppointmentKindInput,
  validateAttachmentInput,
  validateNoteInput,
  validatePatientInput,
  validatePracticeInput,
  validatePractitionerInput,
  validatePrescriptionInput,
  validateSiteInput,
  ValidationError,
  type AbsenceFields,
  type AccessEntry,
  type AppointmentFields,
  type AppointmentKindFields,
  type NoteFields,
  type PatientFields,
  type PracticeFields,
  type PractitionerFields,
  type PrescriptionFields,
  type SeriesRule,
  type SiteFields,
} from '../../../shared/src/model'
import { FORMAT_VERSION } from '../export/manifest'
import { ArchiveImportError } from './archive-error'
import { ArchiveIndex } from './archive-index'
import { ArchiveStamps, type ArchiveStampsView } from './archive-stamps'
import { archiveLines, archiveText, type ArchiveFiles } from './archive-unzip'
import { readAuditEvent, readProvenance } from './fhir-history-records'
import {
  readAppointment,
  readAttachment,
  readKind,
  readNote,
  readOrganization,
  readPatient,
  readPractitioner,
  readPractitionerRole,
  readPrescription,
  readSeries,
  readSite,
  type Where,
} from './fhir-records'

export interface Planned<T> {
  readonly archiveId: string
  readonly fields: T
}

export type PlannedAttachment = {
  readonly archiveId: string
  readonly patientId: string
  readonly name: string
  readonly mime: string
  readonly prescriptionId?: string | undefined
  readonly bytes: Uint8Array
}

/**
 * The records the archive holds by the thousand, read again from the zip for the writes (the
 * second pass): each call reads its file from the start, checked as in the first pass, one record
 * at a time. Ids are the archive's; optional links the first pass dropped are dropped again.
 */
export interface ArchiveRecords {
  patients(): Iterable<Planned<PatientFields>>
  prescriptions(): Iterable<Planned<PrescriptionFields> & { readonly patientId: string }>
  /** Attachments whose bytes the archive holds, each with its bytes (inflated when reached). */
  attachments(): Iterable<PlannedAttachment>
  /** `seriesId` and `occurrence` say which series slot an occurrence is. */
  appointments(): Iterable<Planned<AppointmentFields>>
  notes(): Iterable<Planned<NoteFields> & { readonly patientId: string }>
  /** Openings of the clinical files (AuditEvent), oldest first per file; member ids are the archive's. */
  accessLog(): Iterable<{ readonly patientId: string; readonly entry: AccessEntry }>
}

/** How many of each the archive holds (the preview's counts, the writes' progress). */
export interface ArchiveCounts {
  readonly patients: number
  readonly appointments: number
  readonly prescriptions: number
  readonly notes: number
  readonly attachments: number
  readonly accessLog: number
}

/**
 * The archive once checked (the first pass): the few records the practice's setup is made of,
 * whole; of the others, their counts — they are read again, from the zip, as they are written
 * (`records`). What the first pass keeps for the second is what references need: every archive id
 * by type (ArchiveIndex), and the records' stamps.
 */
export interface ArchivePlan {
  readonly practice: PracticeFields
  readonly practitioners: ReadonlyArray<Planned<PractitionerFields>>
  /** Practitioners' absences (PractitionerRole.notAvailable); `practitionerId` is the archive's. */
  readonly absences: readonly AbsenceFields[]
  readonly sites: ReadonlyArray<Planned<SiteFields>>
  readonly kinds: ReadonlyArray<Planned<AppointmentKindFields>>
  readonly series: ReadonlyArray<Planned<AppointmentFields> & { readonly rule: SeriesRule; readonly total: number }>
  readonly counts: ArchiveCounts
  readonly records: ArchiveRecords
  /** Provenance entries (who made and changed appointments and notes) read. */
  readonly history: number
  /** What they say, per record: written back as the records' stamps (archive-write.ts). */
  readonly stamps: ArchiveStampsView
  /** Attachments whose bytes the archive does not hold (the exporting device could not read them). */
  readonly attachmentsMissing: number
  /** Optional links (an appointment's ordonnance, a note's appointment) to records the archive lacks: dropped. */
  readonly droppedLinks: number
  /** Whether the archive holds the clinical files (a secretary's device exports none). */
  readonly clinical: boolean
  readonly exportedAt: string
}

/** The model's ValidationError, as the archive's named error on the line that holds the value. */
function checked<T>(where: Where, validate: () => T): T {
  try {
    return validate()
  } catch (error) {
    if (error instanceof ValidationError) {
      const issue = error.issues[0]
      throw new ArchiveImportError('bad_field', issue?.message ?? error.message, { ...where, field: issue?.path || undefined })
    }
    if (error instanceof RRuleSyntaxError) throw new ArchiveImportError('bad_field', error.message, { ...where, field: 'extension(series-rule)' })
    throw error
  }
}

/**
 * Each non-empty line of an NDJSON file, parsed, with where it is: read as the file is inflated
 * (archive-unzip.ts), so only the line being read is held, never the file's text.
 */
function* lines(files: ArchiveFiles, path: string, required: boolean): Generator<{ value: unknown; where: Where }> {
  if (!files.has(path)) {
    if (required) throw new ArchiveImportError('missing_file', "ce fichier manque dans l'archive", { file: path })
    return
  }
  for (const { text: line, line: number } of archiveLines(files, path)) {
    if (line.trim() === '') continue
    const where = { file: path, line: number }
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      throw new ArchiveImportError('bad_json', 'ligne illisible (JSON attendu, fichier tronqué ?)', where)
    }
    yield { value, where }
  }
}

const manifestShape = (value: unknown): { formatVersion: number; clinical: boolean; exportedAt: string; output: Array<{ url: string; count: number }> } => {
  const m = value as Record<string, unknown> | null
  if (!m || m.format !== 'tournee-export') throw new ArchiveImportError('not_tournee', "ce n'est pas une exportation de Tournée (manifest.json)", { file: 'manifest.json', field: 'format' })
  if (typeof m.formatVersion !== 'number' || m.formatVersion > FORMAT_VERSION) {
    throw new ArchiveImportError('newer_format', 'exportation faite par une version plus récente de Tournée : mettez cette application à jour', { file: 'manifest.json', field: 'formatVersion' })
  }
  if (!Array.isArray(m.output) || !m.output.every((o: unknown) => typeof (o as { url?: unknown }).url === 'string' && typeof (o as { count?: unknown }).count === 'number')) {
    throw new ArchiveImportError('bad_field', 'liste des fichiers illisible', { file: 'manifest.json', field: 'output' })
  }
  return { formatVersion: m.formatVersion, clinical: m.clinical === true, exportedAt: String(m.exportedAt), output: m.output as Array<{ url: string; count: number }> }
}

/**
 * One reading of the record files. The first claims every id (a reference must point at a record
 * read before it, in the export's order) and counts the dropped links; the second finds every id
 * claimed already, and drops the same links, since each file's references point at files the
 * first pass had read whole by then.
 */
class Pass {
  droppedLinks = 0

  constructor(
    readonly first: boolean,
    readonly index: ArchiveIndex,
    readonly today: string,
    readonly zone: string,
  ) {}

  claim(type: string, id: string, where: Where): void {
    if (this.first) this.index.claim(type, id, where)
  }

  /**
   * An optional link to a record the archive does not hold — an ordonnance or appointment deleted
   * since, an ordonnance a secretary's export leaves out — is dropped and counted, not refused:
   * Tournée's own archives must come back.
   */
  linkOrDrop(type: string, id: string | undefined): string | undefined {
    if (id === undefined || this.index.has(type, id)) return id
    if (this.first) this.droppedLinks++
    return undefined
  }

  checkAppointmentRefs(a: AppointmentFields, where: Where): void {
    this.index.mustExist('Practitioner', a.practitionerId, where, 'participant(Practitioner)')
    this.index.mustExist('Patient', a.patientId, where, 'participant(Patient)')
    this.index.mustExist('HealthcareService', a.kindId, where, 'serviceType.coding')
  }
}

function* patientRecords(files: ArchiveFiles, pass: Pass): Generator<Planned<PatientFields>> {
  for (const { value, where } of lines(files, 'fhir/Patient.ndjson', true)) {
    const read = readPatient(value, where)
    pass.claim('Patient', read.archiveId, where)
    yield { archiveId: read.archiveId, fields: checked(where, () => validatePatientInput(read.input, { today: pass.today })) }
  }
}

function* prescriptionRecords(files: ArchiveFiles, pass: Pass): Generator<Planned<PrescriptionFields> & { patientId: string }> {
  for (const { value, where } of lines(files, 'fhir/ServiceRequest.ndjson', false)) {
    const read = readPrescription(value, where)
    pass.claim('ServiceRequest', read.archiveId, where)
    pass.index.mustExist('Patient', read.patientId, where, 'subject')
    yield { archiveId: read.archiveId, patientId: read.patientId, fields: checked(where, () => validatePrescriptionInput(read.input)) }
  }
}

function* appointmentRecords(files: ArchiveFiles, pass: Pass): Generator<Planned<AppointmentFields>> {
  for (const { value, where } of lines(files, 'fhir/Appointment.ndjson', true)) {
    const read = readAppointment(value, where, pass.zone)
    pass.claim('Appointment', read.archiveId, where)
    // An occurrence keeps its series id even when the archive holds no series record for it (one
    // deleted since, or never written): the occurrences still come back together.
    const input = read.seriesId !== undefined ? { ...read.input, seriesId: read.seriesId, occurrence: read.occurrence } : read.input
    const fields = checked(where, () => validateAppointmentInput(input))
    pass.checkAppointmentRefs(fields, where)
    yield { archiveId: read.archiveId, fields: { ...fields, prescriptionId: pass.linkOrDrop('ServiceRequest', fields.prescriptionId) } }
  }
}

function* noteRecords(files: ArchiveFiles, pass: Pass): Generator<Planned<NoteFields> & { patientId: string }> {
  for (const { value, where } of lines(files, 'fhir/DocumentReference.ndjson', false)) {
    const read = readNote(value, where)
    pass.claim('DocumentReference', read.archiveId, where)
    pass.index.mustExist('Patient', read.patientId, where, 'subject')
    const fields = checked(where, () => validateNoteInput(read.input))
    yield { archiveId: read.archiveId, patientId: read.patientId, fields: { ...fields, appointmentId: pass.linkOrDrop('Appointment', fields.appointmentId) } }
  }
}

function* accessLogRecords(files: ArchiveFiles, pass: Pass): Generator<{ patientId: string; entry: AccessEntry }> {
  for (const { value, where } of lines(files, 'fhir/AuditEvent.ndjson', false)) {
    const read = readAuditEvent(value, where)
    pass.index.mustExist('Patient', read.patientId, where, 'entity.0.what.reference')
    yield { patientId: read.patientId, entry: read.entry }
  }
}

/** Attachments with their bytes (`null`: a reference whose file the exporting device could not read). */
function* attachmentRecords(files: ArchiveFiles, pass: Pass): Generator<PlannedAttachment | null> {
  for (const { value, where } of lines(files, 'fhir/DocumentReference.pieces-jointes.ndjson', false)) {
    const read = readAttachment(value, where)
    pass.claim('DocumentReference', read.archiveId, where)
    pass.index.mustExist('Patient', read.patientId, where, 'subject')
    if (read.path === undefined) {
      yield null
      continue
    }
    const bytes = files.get(read.path)
    if (!bytes) throw new ArchiveImportError('missing_file', `le fichier « ${read.path} » manque dans l'archive`, { ...where, field: 'content.0.attachment.url' })
    // The model's check, with the hash the store will give once the bytes are stored.
    const fields = checked(where, () => validateAttachmentInput({ ...read.input, hash: '0'.repeat(64) }))
    if (fields.size !== bytes.length) throw new ArchiveImportError('bad_field', `${bytes.length} octets au lieu de ${fields.size}`, { ...where, field: 'content.0.attachment.size' })
    yield { archiveId: read.archiveId, patientId: read.patientId, name: fields.name, mime: fields.mime, prescriptionId: pass.linkOrDrop('ServiceRequest', fields.prescriptionId), bytes }
  }
}

function count(records: Iterable<unknown>): number {
  let n = 0
  for (const _ of records) n++
  return n
}

/**
 * The first pass: `today` ('YYYY-MM-DD' in the practice's zone) for the birth dates' plausibility.
 * Every line of every file is read and checked, in the order references need; of the records by
 * the thousand only their ids (for references), counts and stamps are kept. The plan's `records`
 * read the same files again for the writes.
 */
export function readArchive(files: ArchiveFiles, today: string): ArchivePlan {
  let manifestJson: unknown
  try {
    manifestJson = JSON.parse(archiveText(files, 'manifest.json'))
  } catch (error) {
    if (error instanceof ArchiveImportError) throw new ArchiveImportError('not_tournee', "ce n'est pas une exportation de Tournée (manifest.json absent)")
    throw new ArchiveImportError('bad_json', 'manifest illisible', { file: 'manifest.json' })
  }
  const manifest = manifestShape(manifestJson)
  // Every FHIR file the manifest lists is there with as many lines as it says: a file cut short is refused.
  for (const { url, count: expected } of manifest.output) {
    let found = 0
    for (const line of lines(files, url, true)) if (line) found++
    if (found !== expected) throw new ArchiveImportError('count_mismatch', `${found} ligne(s) au lieu de ${expected} annoncée(s) par manifest.json`, { file: url })
  }

  const organization = [...lines(files, 'fhir/Organization.ndjson', true)][0]
  if (!organization) throw new ArchiveImportError('missing_file', 'le cabinet manque', { file: 'fhir/Organization.ndjson' })
  const practice = checked(organization.where, () => validatePracticeInput(readOrganization(organization.value, organization.where)))
  const zone = practice.timeZone ?? DEFAULT_TIME_ZONE
  const index = new ArchiveIndex()
  const pass = new Pass(true, index, today, zone)

  const professions = new Map<string, PractitionerFields['profession']>()
  const roleAbsences: Array<{ input: Record<string, unknown>; where: Where }> = []
  for (const { value, where } of lines(files, 'fhir/PractitionerRole.ndjson', false)) {
    const role = readPractitionerRole(value, where)
    professions.set(role.practitionerId, role.profession)
    for (const absence of role.absences) roleAbsences.push({ input: { ...absence, practitionerId: role.practitionerId }, where })
  }
  const practitioners = [...lines(files, 'fhir/Practitioner.ndjson', true)].map(({ value, where }) => {
    const read = readPractitioner(value, where)
    index.claim('Practitioner', read.archiveId, where)
    const profession = professions.get(read.archiveId) ?? 'autre'
    return { archiveId: read.archiveId, fields: checked(where, () => validatePractitionerInput({ ...read.input, profession })) }
  })
  const absences = roleAbsences.map(({ input, where }) => {
    const fields = checked(where, () => validateAbsenceInput(input))
    index.mustExist('Practitioner', fields.practitionerId, where, 'practitioner')
    return fields
  })
  const sites = [...lines(files, 'fhir/Location.ndjson', false)].flatMap(({ value, where }) => {
    const read = readSite(value, where)
    return read ? [{ archiveId: read.archiveId, fields: checked(where, () => validateSiteInput(read.input)) }] : []
  })
  const kinds = [...lines(files, 'fhir/HealthcareService.ndjson', false)].map(({ value, where }) => {
    const read = readKind(value, where)
    index.claim('HealthcareService', read.archiveId, where)
    const fields = checked(where, () => validateAppointmentKindInput(read.input))
    for (const id of fields.practitionerIds ?? []) index.mustExist('Practitioner', id, where, 'extension(offered-by)')
    return { archiveId: read.archiveId, fields }
  })
  const patients = count(patientRecords(files, pass))
  const series = [...lines(files, 'fhir/Basic.ndjson', false)].flatMap(({ value, where }) => {
    const read = readSeries(value, where)
    if (!read) return []
    index.claim('Series', read.archiveId, where)
    const fields = checked(where, () => validateAppointmentInput(read.input))
    pass.checkAppointmentRefs(fields, where)
    const rule = checked(where, () => parseRRule(read.rule))
    const slots = checked(where, () => expandSeries(rule, fields.start))
    if (slots.length !== read.total) throw new ArchiveImportError('bad_field', `la règle donne ${slots.length} séance(s), la série en compte ${read.total}`, { ...where, field: 'extension(series-total)' })
    return [{ archiveId: read.archiveId, fields, rule, total: read.total }]
  })
  const prescriptions = count(prescriptionRecords(files, pass))
  const appointments = count(appointmentRecords(files, pass))
  const notes = count(noteRecords(files, pass))
  const accessLog = count(accessLogRecords(files, pass))
  let attachments = 0
  let attachmentsMissing = 0
  for (const attachment of attachmentRecords(files, pass)) {
    if (attachment) attachments++
    else attachmentsMissing++
  }
  // After the attachments: a Provenance may be about any appointment or note (DocumentReference).
  let history = 0
  const stamps = new ArchiveStamps(index)
  for (const { value, where } of lines(files, 'fhir/Provenance.ndjson', false)) {
    const read = readProvenance(value, where)
    index.mustExist(read.target.type, read.target.id, where, 'target.0.reference')
    stamps.add(read, where)
    history++
  }

  const again = () => new Pass(false, index, today, zone)
  const records: ArchiveRecords = {
    patients: () => patientRecords(files, again()),
    prescriptions: () => prescriptionRecords(files, again()),
    *attachments() {
      for (const a of attachmentRecords(files, again())) if (a) yield a
    },
    appointments: () => appointmentRecords(files, again()),
    notes: () => noteRecords(files, again()),
    accessLog: () => accessLogRecords(files, again()),
  }
  return {
    practice,
    practitioners,
    absences,
    sites,
    kinds,
    series,
    counts: { patients, appointments, prescriptions, notes, attachments, accessLog },
    records,
    history,
    stamps,
    attachmentsMissing,
    droppedLinks: pass.droppedLinks,
    clinical: manifest.clinical,
    exportedAt: manifest.exportedAt,
  }
}
