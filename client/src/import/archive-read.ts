/**
 * Reads a whole export archive (client/src/export/export-practice.ts) into an `ArchivePlan`: every
 * line of every FHIR file parsed, its shape checked (fhir-records.ts), its values checked by the
 * model's own validators, every reference resolved, every attachment's bytes found. Any problem
 * throws ArchiveImportError naming the file, the line and the field; nothing is written before
 * this has read everything (archive-write.ts takes the plan).
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

export interface ArchivePlan {
  readonly practice: PracticeFields
  readonly practitioners: ReadonlyArray<Planned<PractitionerFields>>
  /** Practitioners' absences (PractitionerRole.notAvailable); `practitionerId` is the archive's. */
  readonly absences: readonly AbsenceFields[]
  readonly sites: ReadonlyArray<Planned<SiteFields>>
  readonly kinds: ReadonlyArray<Planned<AppointmentKindFields>>
  readonly patients: ReadonlyArray<Planned<PatientFields>>
  readonly series: ReadonlyArray<Planned<AppointmentFields> & { readonly rule: SeriesRule; readonly total: number }>
  /** Ids are the archive's; `seriesId` and `occurrence` say which series slot an occurrence is. */
  readonly appointments: ReadonlyArray<Planned<AppointmentFields>>
  readonly prescriptions: ReadonlyArray<Planned<PrescriptionFields> & { readonly patientId: string }>
  readonly notes: ReadonlyArray<Planned<NoteFields> & { readonly patientId: string }>
  /** Openings of the clinical files (AuditEvent), oldest first per file; member ids are the archive's. */
  readonly accessLog: ReadonlyArray<{ readonly patientId: string; readonly entry: AccessEntry }>
  /** Provenance entries (who made and changed appointments and notes) read. */
  readonly history: number
  /** What they say, per record: written back as the records' stamps (archive-write.ts). */
  readonly stamps: ArchiveStampsView
  readonly attachments: ReadonlyArray<{
    readonly archiveId: string
    readonly patientId: string
    readonly name: string
    readonly mime: string
    readonly prescriptionId?: string | undefined
    readonly bytes: Uint8Array
  }>
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

/** `today`: 'YYYY-MM-DD' in the practice's zone, for the birth dates' plausibility. */
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
  for (const { url, count } of manifest.output) {
    let found = 0
    for (const line of lines(files, url, true)) if (line) found++
    if (found !== count) throw new ArchiveImportError('count_mismatch', `${found} ligne(s) au lieu de ${count} annoncée(s) par manifest.json`, { file: url })
  }

  const organization = [...lines(files, 'fhir/Organization.ndjson', true)][0]
  if (!organization) throw new ArchiveImportError('missing_file', 'le cabinet manque', { file: 'fhir/Organization.ndjson' })
  const practice = checked(organization.where, () => validatePracticeInput(readOrganization(organization.value, organization.where)))
  const zone = practice.timeZone ?? DEFAULT_TIME_ZONE

  const ids = new Map<string, Set<string>>()
  const claim = (type: string, id: string, where: Where) => {
    const set = ids.get(type) ?? new Set<string>()
    if (set.has(id)) throw new ArchiveImportError('duplicate_id', `identifiant ${type}/${id} en double`, { ...where, field: 'id' })
    set.add(id)
    ids.set(type, set)
  }
  const mustExist = (type: string, id: string | undefined, where: Where, field: string) => {
    if (id !== undefined && !ids.get(type)?.has(id)) throw new ArchiveImportError('unknown_reference', `${type}/${id} n'est pas dans l'archive`, { ...where, field })
  }
  // An optional link to a record the archive does not hold — an ordonnance or appointment deleted
  // since, an ordonnance a secretary's export leaves out — is dropped and counted, not refused:
  // Tournée's own archives must come back.
  let droppedLinks = 0
  const linkOrDrop = (type: string, id: string | undefined): string | undefined => {
    if (id === undefined || ids.get(type)?.has(id)) return id
    droppedLinks++
    return undefined
  }

  const professions = new Map<string, PractitionerFields['profession']>()
  const roleAbsences: Array<{ input: Record<string, unknown>; where: Where }> = []
  for (const { value, where } of lines(files, 'fhir/PractitionerRole.ndjson', false)) {
    const role = readPractitionerRole(value, where)
    professions.set(role.practitionerId, role.profession)
    for (const absence of role.absences) roleAbsences.push({ input: { ...absence, practitionerId: role.practitionerId }, where })
  }
  const practitioners = [...lines(files, 'fhir/Practitioner.ndjson', true)].map(({ value, where }) => {
    const read = readPractitioner(value, where)
    claim('Practitioner', read.archiveId, where)
    const profession = professions.get(read.archiveId) ?? 'autre'
    return { archiveId: read.archiveId, fields: checked(where, () => validatePractitionerInput({ ...read.input, profession })) }
  })
  const absences = roleAbsences.map(({ input, where }) => {
    const fields = checked(where, () => validateAbsenceInput(input))
    mustExist('Practitioner', fields.practitionerId, where, 'practitioner')
    return fields
  })
  const sites = [...lines(files, 'fhir/Location.ndjson', false)].flatMap(({ value, where }) => {
    const read = readSite(value, where)
    return read ? [{ archiveId: read.archiveId, fields: checked(where, () => validateSiteInput(read.input)) }] : []
  })
  const kinds = [...lines(files, 'fhir/HealthcareService.ndjson', false)].map(({ value, where }) => {
    const read = readKind(value, where)
    claim('HealthcareService', read.archiveId, where)
    const fields = checked(where, () => validateAppointmentKindInput(read.input))
    for (const id of fields.practitionerIds ?? []) mustExist('Practitioner', id, where, 'extension(offered-by)')
    return { archiveId: read.archiveId, fields }
  })
  const patients = [...lines(files, 'fhir/Patient.ndjson', true)].map(({ value, where }) => {
    const read = readPatient(value, where)
    claim('Patient', read.archiveId, where)
    return { archiveId: read.archiveId, fields: checked(where, () => validatePatientInput(read.input, { today })) }
  })
  const checkAppointmentRefs = (a: AppointmentFields, where: Where) => {
    mustExist('Practitioner', a.practitionerId, where, 'participant(Practitioner)')
    mustExist('Patient', a.patientId, where, 'participant(Patient)')
    mustExist('HealthcareService', a.kindId, where, 'serviceType.coding')
  }
  const series = [...lines(files, 'fhir/Basic.ndjson', false)].flatMap(({ value, where }) => {
    const read = readSeries(value, where)
    if (!read) return []
    claim('Series', read.archiveId, where)
    const fields = checked(where, () => validateAppointmentInput(read.input))
    checkAppointmentRefs(fields, where)
    const rule = checked(where, () => parseRRule(read.rule))
    const slots = checked(where, () => expandSeries(rule, fields.start))
    if (slots.length !== read.total) throw new ArchiveImportError('bad_field', `la règle donne ${slots.length} séance(s), la série en compte ${read.total}`, { ...where, field: 'extension(series-total)' })
    return [{ archiveId: read.archiveId, fields, rule, total: read.total }]
  })
  const prescriptions = [...lines(files, 'fhir/ServiceRequest.ndjson', false)].map(({ value, where }) => {
    const read = readPrescription(value, where)
    claim('ServiceRequest', read.archiveId, where)
    mustExist('Patient', read.patientId, where, 'subject')
    return { archiveId: read.archiveId, patientId: read.patientId, fields: checked(where, () => validatePrescriptionInput(read.input)) }
  })
  const appointments = Array.from(lines(files, 'fhir/Appointment.ndjson', true), ({ value, where }) => {
    const read = readAppointment(value, where, zone)
    claim('Appointment', read.archiveId, where)
    // An occurrence keeps its series id even when the archive holds no series record for it (one
    // deleted since, or never written): the occurrences still come back together.
    const input = read.seriesId !== undefined ? { ...read.input, seriesId: read.seriesId, occurrence: read.occurrence } : read.input
    const fields = checked(where, () => validateAppointmentInput(input))
    checkAppointmentRefs(fields, where)
    return { archiveId: read.archiveId, fields: { ...fields, prescriptionId: linkOrDrop('ServiceRequest', fields.prescriptionId) } }
  })
  const notes = [...lines(files, 'fhir/DocumentReference.ndjson', false)].map(({ value, where }) => {
    const read = readNote(value, where)
    claim('DocumentReference', read.archiveId, where)
    mustExist('Patient', read.patientId, where, 'subject')
    const fields = checked(where, () => validateNoteInput(read.input))
    return { archiveId: read.archiveId, patientId: read.patientId, fields: { ...fields, appointmentId: linkOrDrop('Appointment', fields.appointmentId) } }
  })
  const accessLog = [...lines(files, 'fhir/AuditEvent.ndjson', false)].map(({ value, where }) => {
    const read = readAuditEvent(value, where)
    mustExist('Patient', read.patientId, where, 'entity.0.what.reference')
    return { patientId: read.patientId, entry: read.entry }
  })
  let attachmentsMissing = 0
  const attachments = [...lines(files, 'fhir/DocumentReference.pieces-jointes.ndjson', false)].flatMap(({ value, where }) => {
    const read = readAttachment(value, where)
    claim('DocumentReference', read.archiveId, where)
    mustExist('Patient', read.patientId, where, 'subject')
    if (read.path === undefined) {
      attachmentsMissing++
      return []
    }
    const bytes = files.get(read.path)
    if (!bytes) throw new ArchiveImportError('missing_file', `le fichier « ${read.path} » manque dans l'archive`, { ...where, field: 'content.0.attachment.url' })
    // The model's check, with the hash the store will give once the bytes are stored.
    const fields = checked(where, () => validateAttachmentInput({ ...read.input, hash: '0'.repeat(64) }))
    if (fields.size !== bytes.length) throw new ArchiveImportError('bad_field', `${bytes.length} octets au lieu de ${fields.size}`, { ...where, field: 'content.0.attachment.size' })
    return [{ archiveId: read.archiveId, patientId: read.patientId, name: fields.name, mime: fields.mime, prescriptionId: linkOrDrop('ServiceRequest', fields.prescriptionId), bytes }]
  })
  // After the attachments: a Provenance may be about any appointment or note (DocumentReference).
  let history = 0
  const stamps = new ArchiveStamps()
  for (const { value, where } of lines(files, 'fhir/Provenance.ndjson', false)) {
    const read = readProvenance(value, where)
    mustExist(read.target.type, read.target.id, where, 'target.0.reference')
    stamps.add(read, where)
    history++
  }
  return {
    practice,
    practitioners,
    absences,
    accessLog,
    history,
    stamps,
    sites,
    kinds,
    patients,
    series,
    appointments,
    prescriptions,
    notes,
    attachments,
    attachmentsMissing,
    droppedLinks,
    clinical: manifest.clinical,
    exportedAt: manifest.exportedAt,
  }
}
