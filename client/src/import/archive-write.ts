/**
 * Writes an `ArchivePlan` (archive-read.ts, everything already checked) into a practice through the
 * model's own functions, so every record gets a fresh id and its change-log entry like any record
 * made on this device. Appointments and notes then get back the stamps the archive's Provenance
 * gives them (who created the record and when, who changed it last and when; a member who was one
 * of the archive's practitioners named by their new id, other members and devices keeping theirs);
 * the other records, and those without a Provenance, keep the import's. Order: settings,
 * practitioners, sites, kinds, patients, ordonnances and attachments, series (createSeries), the
 * appointments (a series' occurrence made what the archive says: moved, changed, cancelled; its
 * slots the archive no longer has removed at the end), notes, access logs. The records by the
 * thousand are read from the archive again as they are written (`plan.records`, the second pass),
 * one at a time: only their new ids are kept, for the references that follow.
 *
 * The practice must be new: no patient, no series (but those an undone import left deleted). Its
 * setup practitioner and default kinds are taken as the archive's when the names match (a practice
 * is created with one practitioner and the default kinds, which an export carries too), so they
 * are not doubled.
 *
 * The import is recorded in the practice's imports (import-batch.ts) as it goes — patients in the
 * transaction that creates them, appointments listed before they are written (their month doc is
 * another doc), each series as soon as it is made — so « Annuler cet import » (import-undo.ts)
 * removes what it created, from any device. Every write takes one instant (the import's), and an
 * appointment whose stamps the archive gave back is listed with the `updatedAt` written: a record
 * whose `updatedAt` is no longer the one the import wrote was changed after the import, which is
 * how the undo tells what the practice has used since.
 */
import type * as Y from 'yjs'
import {
  accessLogArray,
  addAbsence,
  addAppointment,
  addAppointmentKind,
  addAttachment,
  addNote,
  addPatient,
  addPractitioner,
  addPrescription,
  addSite,
  agendaDocId,
  createSeries,
  editSeriesOccurrences,
  expandSeries,
  foldText,
  listAppointmentKinds,
  listPatients,
  listPractitioners,
  listSeries,
  monthOf,
  newRecordId,
  patientDocId,
  softDeleteAppointment,
  updateAppointmentKind,
  updatePractice,
  updatePractitioner,
  AGENDA_MAPS,
  PATIENT_FILE_MAPS,
  type Actor,
  type AppointmentFields,
  type AppointmentPatch,
  type Clock,
} from '../../../shared/src/model'
import { findRecord, restoreStamps, type RecordStamps } from '../../../shared/src/model/records'
import { ArchiveImportError } from './archive-error'
import type { ArchivePlan } from './archive-read'
import { ImportRecord, listImportBatches } from './import-batch'

export interface ImportTarget {
  readonly directory: Y.Doc
  /** Opens a doc of the practice ('agenda/2026-11', 'patient/<id>') for writing. */
  openDoc(docId: string): Promise<Y.Doc>
  /** Stores an attachment's bytes (encrypted on this device); null when this device has no store. */
  readonly storeAttachment: ((bytes: Uint8Array) => Promise<{ hash: string }>) | null
}

/** Archive id → new id, per kind of record. */
export interface ImportIds {
  readonly practitioners: ReadonlyMap<string, string>
  readonly kinds: ReadonlyMap<string, string>
  readonly sites: ReadonlyMap<string, string>
  readonly patients: ReadonlyMap<string, string>
  readonly series: ReadonlyMap<string, string>
  /** Series ids the archive's appointments carry without a series record, → their fresh ids. */
  readonly orphanSeries: ReadonlyMap<string, string>
  readonly appointments: ReadonlyMap<string, string>
  readonly prescriptions: ReadonlyMap<string, string>
  readonly notes: ReadonlyMap<string, string>
  readonly attachments: ReadonlyMap<string, string>
}

export interface ImportProgress {
  readonly done: number
  readonly total: number
}

/**
 * Whether the practice already holds patients or series: an archive goes into a new practice only.
 * Deleted ones an undone import listed do not count: undoing an archive's import, then importing
 * it again (or another), must work.
 */
export function practiceIsNew(directory: Y.Doc): boolean {
  const undone = new Set<string>()
  for (const batch of listImportBatches(directory)) if (batch.undoneAt !== undefined) for (const id of [...batch.patients, ...batch.series]) undone.add(id)
  const counts = (r: { id: string; deletedAt?: number | undefined }) => !(r.deletedAt !== undefined && undone.has(r.id))
  return (
    listPatients(directory, { includeArchived: true, includeDeleted: true }).items.filter(counts).length === 0 &&
    listSeries(directory, { includeDeleted: true }).items.filter(counts).length === 0
  )
}

function mapped(map: ReadonlyMap<string, string>, id: string | undefined): string | undefined {
  if (id === undefined) return undefined
  const to = map.get(id)
  // archive-read.ts resolved every reference: a miss here is a bug, not bad input.
  if (to === undefined) throw new Error(`Import: no new id for archive record '${id}'`)
  return to
}

/** Every field of an appointment as a patch: absent optional fields are cleared (a series' defaults). */
function fullPatch(f: AppointmentFields): AppointmentPatch {
  return {
    start: f.start,
    timeZone: f.timeZone,
    durationMin: f.durationMin,
    practitionerId: f.practitionerId,
    patientId: f.patientId ?? null,
    kindId: f.kindId ?? null,
    title: f.title ?? null,
    place: f.place ?? 'practice',
    address: f.address ?? null,
    note: f.note ?? null,
    status: f.status ?? 'booked',
    cancelReason: f.cancelReason ?? null,
    prescriptionId: f.prescriptionId ?? null,
  }
}

export interface ArchiveWriteOptions {
  /** The archive's file name, as the import's record shows it. */
  readonly fileName: string
  readonly onProgress?: ((progress: ImportProgress) => void) | undefined
}

export async function writeArchive(
  plan: ArchivePlan,
  target: ImportTarget,
  actor: Actor,
  importClock: Clock,
  options: ArchiveWriteOptions,
): Promise<ImportIds & { readonly batchId: string }> {
  const { onProgress } = options
  const { directory } = target
  if (!practiceIsNew(directory)) {
    throw new ArchiveImportError('target_not_empty', 'ce cabinet a déjà des patients : une exportation se réimporte dans un cabinet neuf')
  }
  if (plan.counts.attachments > 0 && !target.storeAttachment) {
    throw new ArchiveImportError('missing_file', "cet appareil ne peut pas enregistrer de pièces jointes : rien n'a été importé")
  }
  // One instant for every write of the import (module comment).
  const now = importClock()
  const clock: Clock = () => now
  const record = ImportRecord.start(
    directory,
    { source: 'archive', fileName: options.fileName, planned: plan.counts.patients + plan.counts.appointments + plan.series.length },
    actor,
    clock,
  )
  const { counts, records } = plan
  const total = counts.patients + counts.appointments + counts.prescriptions + counts.notes + counts.attachments
  let done = 0
  const step = (n = 1) => {
    done += n
    if (done % 200 === 0 || done === total) onProgress?.({ done, total })
  }
  const openMonth = (month: string) => target.openDoc(agendaDocId(month))
  // The archive's stamps, their member mapped (as for the access log below: a practitioner's new id).
  const memberOf = (memberId: string) => ids.practitioners.get(memberId) ?? memberId
  const stampsOf = (type: 'Appointment' | 'DocumentReference', archiveId: string): RecordStamps | undefined => {
    const s = plan.stamps.of(type, archiveId)
    if (!s) return undefined
    return { ...s, createdBy: { ...s.createdBy, memberId: memberOf(s.createdBy.memberId) }, updatedBy: { ...s.updatedBy, memberId: memberOf(s.updatedBy.memberId) } }
  }
  const stampRecord = (doc: Y.Doc, collection: string, id: string, stamps: RecordStamps | undefined) => {
    const made = stamps ? findRecord(doc, collection, id) : undefined
    if (made) restoreStamps(doc, made, stamps!)
  }
  /** An appointment listed in the import's record (with the updatedAt it gets), then written with its stamps. */
  const addListed = async (archiveId: string, fields: AppointmentFields): Promise<string> => {
    const ref = { month: monthOf(fields.start), id: newRecordId() }
    const stamps = stampsOf('Appointment', archiveId)
    record.listAppointment(ref, stamps?.updatedAt)
    const month = await openMonth(ref.month)
    // One transaction: other devices never see the record with the import's stamps.
    month.transact(() => {
      addAppointment(month, fields, actor, clock, ref.id)
      stampRecord(month, AGENDA_MAPS.appointments, ref.id, stamps)
    })
    return ref.id
  }
  const ids = {
    practitioners: new Map<string, string>(),
    kinds: new Map<string, string>(),
    sites: new Map<string, string>(),
    patients: new Map<string, string>(),
    series: new Map<string, string>(),
    appointments: new Map<string, string>(),
    prescriptions: new Map<string, string>(),
    notes: new Map<string, string>(),
    attachments: new Map<string, string>(),
  }

  const p = plan.practice
  updatePractice(directory, { name: p.name, timeZone: p.timeZone, locale: p.locale, holidayCountry: p.holidayCountry ?? null, lockAfterMinutes: p.lockAfterMinutes ?? null }, actor, clock)

  // Practitioners, and the kinds they offer: the setup's own are reused when the names match.
  // New ones first, then the matched ones updated: deactivating the setup's practitioner must find
  // the archive's active ones already there (LastActivePractitionerError otherwise, halfway).
  const existing = listPractitioners(directory, { includeInactive: true }).items
  const matched: Array<{ id: string; fields: (typeof plan.practitioners)[number]['fields'] }> = []
  for (const { archiveId, fields } of plan.practitioners) {
    const same = existing.find((e) => foldText(e.displayName) === foldText(fields.displayName) && ![...ids.practitioners.values()].includes(e.id))
    if (same) {
      matched.push({ id: same.id, fields })
      ids.practitioners.set(archiveId, same.id)
    } else {
      ids.practitioners.set(archiveId, addPractitioner(directory, fields, actor, clock))
    }
  }
  for (const { id, fields } of matched) updatePractitioner(directory, id, { ...fields, rpps: fields.rpps ?? null, workingHours: fields.workingHours ?? null }, actor, clock)
  for (const { archiveId, fields } of plan.sites) ids.sites.set(archiveId, addSite(directory, fields, actor, clock))
  for (const fields of plan.absences) {
    directory.transact(() => record.listAbsence(addAbsence(directory, { ...fields, practitionerId: mapped(ids.practitioners, fields.practitionerId)! }, actor, clock)))
  }
  const existingKinds = listAppointmentKinds(directory, { includeInactive: true }).items
  for (const { archiveId, fields } of plan.kinds) {
    const practitionerIds = fields.practitionerIds?.map((id) => mapped(ids.practitioners, id)!)
    const same = existingKinds.find((k) => foldText(k.label) === foldText(fields.label) && ![...ids.kinds.values()].includes(k.id))
    if (same) {
      updateAppointmentKind(directory, same.id, { ...fields, practitionerIds: practitionerIds ?? null }, actor, clock)
      ids.kinds.set(archiveId, same.id)
    } else {
      ids.kinds.set(archiveId, addAppointmentKind(directory, { ...fields, practitionerIds }, actor, clock))
    }
  }
  for (const { archiveId, fields } of records.patients()) {
    directory.transact(() => {
      const id = addPatient(directory, fields, actor, clock)
      record.listPatient(id)
      ids.patients.set(archiveId, id)
    })
    step()
  }

  // The patient files' ordonnances and attachments (appointments and notes point at them).
  for (const { archiveId, patientId, fields } of records.prescriptions()) {
    const file = await target.openDoc(patientDocId(mapped(ids.patients, patientId)!))
    ids.prescriptions.set(archiveId, addPrescription(file, fields, actor, clock))
    step()
  }
  for (const a of records.attachments()) {
    const { hash } = await target.storeAttachment!(a.bytes)
    const file = await target.openDoc(patientDocId(mapped(ids.patients, a.patientId)!))
    const input = { hash, name: a.name, mime: a.mime, size: a.bytes.length, prescriptionId: mapped(ids.prescriptions, a.prescriptionId) }
    ids.attachments.set(a.archiveId, addAttachment(file, input, actor, clock))
    step()
  }

  const toModel = (f: AppointmentFields): AppointmentFields => ({
    ...f,
    practitionerId: mapped(ids.practitioners, f.practitionerId)!,
    patientId: mapped(ids.patients, f.patientId),
    kindId: mapped(ids.kinds, f.kindId),
    prescriptionId: mapped(ids.prescriptions, f.prescriptionId),
    seriesId: undefined,
    occurrence: undefined,
  })

  // Series: made by createSeries, then each occurrence, as the appointments file reaches it, made
  // what the archive holds; a slot no occurrence of the archive took was deleted in the exported
  // practice. A slot's stamps are listed when its occurrence is written (the undo is safe either
  // way: an appointment whose listed updatedAt and own differ is kept, never wrongly removed).
  const seriesSlots = new Map<string, { seriesId: string; starts: readonly string[]; free: Map<number, string> }>()
  for (const series of plan.series) {
    const { seriesId, appointmentIds } = await createSeries(directory, openMonth, toModel(series.fields), series.rule, actor, clock)
    record.listSeries(seriesId)
    const starts = expandSeries(series.rule, series.fields.start)
    appointmentIds.forEach((id, i) => record.listAppointment({ month: monthOf(starts[i]!), id }))
    ids.series.set(series.archiveId, seriesId)
    seriesSlots.set(series.archiveId, { seriesId, starts, free: new Map(appointmentIds.map((id, i) => [i + 1, id])) })
  }
  const orphanSeries = new Map<string, string>()
  for (const { archiveId, fields } of records.appointments()) {
    const series = fields.seriesId === undefined ? undefined : seriesSlots.get(fields.seriesId)
    const wanted = toModel(fields)
    const slot = series === undefined || fields.occurrence === undefined ? undefined : series.free.get(fields.occurrence)
    if (series !== undefined && slot !== undefined) {
      series.free.delete(fields.occurrence!)
      await editSeriesOccurrences(directory, openMonth, { id: slot, seriesId: series.seriesId }, 'this', fullPatch(wanted), actor, clock)
      const stamps = stampsOf('Appointment', archiveId)
      if (stamps) record.listWritten({ month: monthOf(series.starts[fields.occurrence! - 1]!), id: slot }, stamps.updatedAt)
      // Where the occurrence is now (moved to its month if the archive's is in another).
      stampRecord(await openMonth(monthOf(wanted.start)), AGENDA_MAPS.appointments, slot, stamps)
      ids.appointments.set(archiveId, slot)
    } else if (series !== undefined) {
      // A slot the rule does not make (or one taken twice): an appointment of the series on its own.
      ids.appointments.set(archiveId, await addListed(archiveId, { ...wanted, seriesId: series.seriesId, occurrence: fields.occurrence }))
    } else {
      // A series id with no series record in the archive: a fresh id, the same for all its occurrences.
      let seriesId: string | undefined
      if (fields.seriesId !== undefined) {
        seriesId = orphanSeries.get(fields.seriesId) ?? newRecordId()
        orphanSeries.set(fields.seriesId, seriesId)
      }
      ids.appointments.set(archiveId, await addListed(archiveId, { ...wanted, seriesId, occurrence: seriesId === undefined ? undefined : fields.occurrence }))
    }
    step()
  }
  for (const { starts, free } of seriesSlots.values()) {
    for (const [occurrence, id] of free) softDeleteAppointment(await openMonth(monthOf(starts[occurrence - 1]!)), id, actor, clock)
  }

  for (const { archiveId, patientId, fields } of records.notes()) {
    const file = await target.openDoc(patientDocId(mapped(ids.patients, patientId)!))
    file.transact(() => {
      const id = addNote(file, { ...fields, appointmentId: mapped(ids.appointments, fields.appointmentId) }, actor, clock)
      stampRecord(file, PATIENT_FILE_MAPS.notes, id, stampsOf('DocumentReference', archiveId))
      ids.notes.set(archiveId, id)
    })
    step()
  }
  // The files' access logs, as they were: an opening is a fact about the past, not a write of now.
  // A member who was one of the archive's practitioners is named by their new id.
  for (const { patientId, entry } of records.accessLog()) {
    const file = await target.openDoc(patientDocId(mapped(ids.patients, patientId)!))
    accessLogArray(file).push([{ ...entry, by: { ...entry.by, memberId: memberOf(entry.by.memberId) } }])
  }
  record.finish()
  onProgress?.({ done: total, total })
  return { ...ids, orphanSeries, batchId: record.batchId }
}
