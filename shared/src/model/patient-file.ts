/**
 * A `patient/<id>` doc: one patient's clinical file.
 *
 *   doc.getMap('notes')          id → Y.Map { date, kind, text: Y.Text, appointmentId?, stamps }
 *   doc.getMap('prescriptions')  id → Y.Map { prescriberName, prescriberRpps?, date, indication,
 *                                             sessionsPrescribed?, stamps }
 *   doc.getMap('attachments')    id → Y.Map { hash, name, mime, size, prescriptionId?, stamps }
 *
 * Note text is a Y.Text so that two practitioners typing in the same note merge character by
 * character; the editor binds to `getNoteText` directly. Identity is not repeated here: it lives in
 * the directory's patient index. An attachment record is only a reference: the file itself is
 * encrypted on the device and stored on the relay under `hash` (SHA-256 of the ciphertext); its
 * name and type live here, in the encrypted doc, and never in a URL.
 */
import * as Y from 'yjs'
import type { Actor, Clock } from './actor'
import { PATIENT_FILE_MAPS } from './collections'
import { newRecordId } from './ids'
import { noteFields, prescriptionFields } from './input-schemas'
import type { AttachmentInput, NoteInput, Patch, PrescriptionInput } from './input-schemas'
import { attachmentRecord, noteRecord, prescriptionRecord } from './record-schemas'
import type { Attachment, Note, Prescription } from './record-schemas'
import {
  findRecord,
  insertRecord,
  isDeleted,
  markDeleted,
  readAll,
  readRecord,
  requireRecord,
  unmarkDeleted,
  updateRecord,
} from './records'
import type { ListResult } from './records'
import { validateAttachmentInput, validateNoteInput, validatePrescriptionInput } from './validation'

const NOTES = PATIENT_FILE_MAPS.notes
const PRESCRIPTIONS = PATIENT_FILE_MAPS.prescriptions
const ATTACHMENTS = PATIENT_FILE_MAPS.attachments
// Text is edited through its Y.Text, never replaced by a patch.
const NOTE_KEYS = Object.keys(noteFields.shape).filter((k) => k !== 'text')
const PRESCRIPTION_KEYS = Object.keys(prescriptionFields.shape)

export type NotePatch = Patch<Omit<NoteInput, 'text'>>
export type PrescriptionPatch = Patch<PrescriptionInput>

/** The note exists but its text is not a Y.Text (written by a faulty or foreign client). */
export class NoteTextError extends Error {
  override name = 'NoteTextError'
}

export function addNote(doc: Y.Doc, input: NoteInput, actor: Actor, clock: Clock): string {
  const { text, ...fields } = validateNoteInput(input)
  const id = newRecordId()
  insertRecord(doc, NOTES, id, { ...fields, text: new Y.Text(text ?? '') }, actor, clock)
  return id
}

/** The live text of a note, to bind an editor to. Edits merge character by character. */
export function getNoteText(doc: Y.Doc, id: string): Y.Text {
  const text = requireRecord(doc, NOTES, id).get('text')
  if (!(text instanceof Y.Text)) throw new NoteTextError(`Note '${id}' has no collaborative text`)
  return text
}

/** Edits a note's date, kind or linked appointment. Its text is edited through getNoteText. */
export function updateNote(doc: Y.Doc, id: string, patch: NotePatch, actor: Actor, clock: Clock): boolean {
  const guarded: Record<string, unknown> = { ...patch }
  delete guarded.text
  return updateRecord(
    doc,
    NOTES,
    id,
    guarded,
    (merged) => {
      const { text: _text, ...fields } = validateNoteInput({ ...merged, text: undefined })
      return fields
    },
    NOTE_KEYS,
    actor,
    clock,
  )
}

/**
 * Stamps updatedAt/updatedBy after the text was edited through its Y.Text (which cannot know who is
 * typing). Call it when the editor pauses or loses focus.
 */
export function markNoteEdited(doc: Y.Doc, id: string, actor: Actor, clock: Clock): void {
  const record = requireRecord(doc, NOTES, id)
  doc.transact(() => {
    record.set('updatedAt', clock())
    record.set('updatedBy', { memberId: actor.memberId, deviceId: actor.deviceId })
  })
}

export function softDeleteNote(doc: Y.Doc, id: string, actor: Actor, clock: Clock): void {
  markDeleted(doc, requireRecord(doc, NOTES, id), actor, clock)
}

export function restoreNote(doc: Y.Doc, id: string, actor: Actor, clock: Clock): void {
  unmarkDeleted(doc, requireRecord(doc, NOTES, id), actor, clock)
}

export function getNote(doc: Y.Doc, id: string): Note | undefined {
  const record = findRecord(doc, NOTES, id)
  if (!record) return undefined
  const read = readRecord(NOTES, id, record, noteRecord)
  return read.ok ? read.record : undefined
}

/** Notes and ordonnances, newest first: by date, then by creation time, then id. */
export function newestDatedFirst(a: Note | Prescription, b: Note | Prescription): number {
  return b.date.localeCompare(a.date) || b.createdAt - a.createdAt || a.id.localeCompare(b.id)
}

/** Newest first: by creation time, then id. */
export function newestCreatedFirst(a: Attachment, b: Attachment): number {
  return b.createdAt - a.createdAt || a.id.localeCompare(b.id)
}

/** Newest first: by date, then by creation time. `text` is a snapshot. */
export function listNotes(doc: Y.Doc, options: { includeDeleted?: boolean } = {}): ListResult<Note> {
  const result = readAll(doc, NOTES, noteRecord, (n) => options.includeDeleted || !isDeleted(n))
  result.items.sort(newestDatedFirst)
  return result
}

export function addPrescription(doc: Y.Doc, input: PrescriptionInput, actor: Actor, clock: Clock): string {
  const fields = validatePrescriptionInput(input)
  const id = newRecordId()
  insertRecord(doc, PRESCRIPTIONS, id, fields, actor, clock)
  return id
}

export function updatePrescription(
  doc: Y.Doc,
  id: string,
  patch: PrescriptionPatch,
  actor: Actor,
  clock: Clock,
): boolean {
  return updateRecord(doc, PRESCRIPTIONS, id, patch, validatePrescriptionInput, PRESCRIPTION_KEYS, actor, clock)
}

export function softDeletePrescription(doc: Y.Doc, id: string, actor: Actor, clock: Clock): void {
  markDeleted(doc, requireRecord(doc, PRESCRIPTIONS, id), actor, clock)
}

/** Newest first: by prescription date, then by creation time. */
export function listPrescriptions(doc: Y.Doc, options: { includeDeleted?: boolean } = {}): ListResult<Prescription> {
  const result = readAll(doc, PRESCRIPTIONS, prescriptionRecord, (p) => options.includeDeleted || !isDeleted(p))
  result.items.sort(newestDatedFirst)
  return result
}

/** Records the reference of a file already encrypted and stored by the device's attachment store. */
export function addAttachment(doc: Y.Doc, input: AttachmentInput, actor: Actor, clock: Clock): string {
  const fields = validateAttachmentInput(input)
  const id = newRecordId()
  insertRecord(doc, ATTACHMENTS, id, fields, actor, clock)
  return id
}

export function softDeleteAttachment(doc: Y.Doc, id: string, actor: Actor, clock: Clock): void {
  markDeleted(doc, requireRecord(doc, ATTACHMENTS, id), actor, clock)
}

/** Newest first: by creation time, then id. */
export function listAttachments(doc: Y.Doc, options: { includeDeleted?: boolean } = {}): ListResult<Attachment> {
  const result = readAll(doc, ATTACHMENTS, attachmentRecord, (a) => options.includeDeleted || !isDeleted(a))
  result.items.sort(newestCreatedFirst)
  return result
}
