/**
 * Undo of the agenda's quick changes — a move, a resize, a status, a cancellation — for a few
 * seconds after them (« Annuler » in a toast). An undo is an ordinary model write that puts the
 * previous values back, so it is in the history and reaches the other devices like any edit.
 * It puts back only the fields the change made: a colleague's concurrent edit of another field
 * survives the undo.
 */
import type { Actor, Appointment, AppointmentPatch, Clock } from '../../../../shared/src/model'
import { changeAppointment } from './agenda-actions'
import type { OpenDoc } from './agenda-actions'

export type UndoKind = 'move' | 'resize' | 'status' | 'cancel'

/** What one appointment was before the change, and where it starts now (which month holds it). */
export type UndoTarget = {
  readonly before: Pick<Appointment, 'id' | 'start' | 'practitionerId' | 'durationMin' | 'status' | 'cancelReason'>
  readonly startNow: string
}

export type UndoAction = { readonly kind: UndoKind; readonly targets: readonly UndoTarget[] }

/** The fields each kind of change writes, hence the ones its undo writes back. */
const FIELDS: { readonly [K in UndoKind]: readonly (keyof UndoTarget['before'])[] } = {
  move: ['start', 'practitionerId', 'durationMin'],
  resize: ['durationMin'],
  status: ['status', 'cancelReason'],
  cancel: ['status', 'cancelReason'],
}

/** The patch that puts `before`'s values of `kind`'s fields back (an absent value is cleared). */
export function undoPatch(kind: UndoKind, before: UndoTarget['before']): AppointmentPatch {
  const patch: Record<string, unknown> = {}
  for (const field of FIELDS[kind]) patch[field] = before[field] ?? null
  return patch as AppointmentPatch
}

/** An undo entry for a change of `appointments` (as they were before it) that now start at `startsNow`. */
export function undoOf(kind: UndoKind, appointments: readonly Appointment[], startsNow: (a: Appointment) => string = (a) => a.start): UndoAction {
  return {
    kind,
    targets: appointments.map((a) => ({
      before: { id: a.id, start: a.start, practitionerId: a.practitionerId, durationMin: a.durationMin, status: a.status, cancelReason: a.cancelReason },
      startNow: startsNow(a),
    })),
  }
}

/** Writes the previous values back, each appointment in the month doc that holds it now. */
export async function applyUndo(open: OpenDoc, action: UndoAction, actor: Actor, clock: Clock): Promise<void> {
  for (const target of action.targets) {
    await changeAppointment(open, { id: target.before.id, start: target.startNow }, undoPatch(action.kind, target.before), actor, clock)
  }
}
