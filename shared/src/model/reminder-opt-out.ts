/**
 * A patient's refusal of appointment reminders: the patient field `reminderOptOut` (true when the
 * patient asked for no reminder; absent means reminders are fine), written through updatePatient
 * like any field of the patient index, so it is validated, merged per field and in the change log.
 *
 * It is read here rather than through `Patient`: the directory digest (shared/src/digest) lists
 * the patient fields the first screens read, and reminders are not one of them. A device showing
 * a digest reads no opt-out until its directory has synced (seconds), and says so.
 */
import type * as Y from 'yjs'
import type { Actor, Clock } from './actor'
import { DIRECTORY_MAPS } from './collections'
import { findRecord } from './records'
import { updatePatient } from './patients'

/** Whether the patient asked for no reminder; false when absent or unreadable. */
export function reminderOptOutOf(directory: Y.Doc, patientId: string): boolean {
  return findRecord(directory, DIRECTORY_MAPS.patients, patientId)?.get('reminderOptOut') === true
}

/** Records the patient's choice; clearing the refusal removes the field. Returns whether it changed. */
export function setReminderOptOut(directory: Y.Doc, patientId: string, optOut: boolean, actor: Actor, clock: Clock): boolean {
  return updatePatient(directory, patientId, { reminderOptOut: optOut ? true : null }, actor, clock)
}
