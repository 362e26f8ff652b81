/**
 * Writes of the agenda views, routed to the right month doc: a new appointment goes to the doc of
 * its month; a change that keeps the month updates in place; one that changes month is moved with
 * the model's moveAppointment (copy first, then soft-delete), so nothing is lost halfway.
 */
import type * as Y from 'yjs'
import { addAppointment, agendaDocId, moveAppointment, monthOf, setAppointmentStatus, updateAppointment } from '../../../../shared/src/model'
import type { Actor, Appointment, AppointmentFields, AppointmentPatch, AppointmentStatus, Clock } from '../../../../shared/src/model'

export type OpenDoc = (docId: string) => Promise<Y.Doc>

export async function createAppointment(open: OpenDoc, fields: AppointmentFields, actor: Actor, clock: Clock): Promise<string> {
  const doc = await open(agendaDocId(monthOf(fields.start)))
  return addAppointment(doc, fields, actor, clock)
}

/** Applies `patch` to `current`, moving it to another month's doc when its start changes month. */
export async function changeAppointment(
  open: OpenDoc,
  current: Pick<Appointment, 'id' | 'start'>,
  patch: AppointmentPatch,
  actor: Actor,
  clock: Clock,
): Promise<void> {
  const from = await open(agendaDocId(monthOf(current.start)))
  const start = patch.start ?? current.start
  if (monthOf(start) === monthOf(current.start)) {
    updateAppointment(from, current.id, patch, actor, clock)
    return
  }
  const to = await open(agendaDocId(monthOf(start)))
  moveAppointment(from, to, current.id, patch, actor, clock)
}

/** Arrivé, Terminé, Absent, Annulé (with its reason), or back to Prévu. */
export async function changeStatus(
  open: OpenDoc,
  current: Pick<Appointment, 'id' | 'start'>,
  status: AppointmentStatus,
  actor: Actor,
  clock: Clock,
  cancelReason?: string,
): Promise<void> {
  const doc = await open(agendaDocId(monthOf(current.start)))
  setAppointmentStatus(doc, current.id, status, actor, clock, cancelReason)
}
