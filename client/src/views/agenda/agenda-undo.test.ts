import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { getAppointment, initAgendaDoc, listAppointments, updateAppointment, validateAppointmentInput } from '../../../../shared/src/model'
import type { Actor, Appointment } from '../../../../shared/src/model'
import { changeAppointment, changeStatus, createAppointment } from './agenda-actions'
import { applyUndo, undoOf, undoPatch } from './agenda-undo'

const actor: Actor = { memberId: 'member-claire', deviceId: 'device-tablet' }
const clock = () => Date.UTC(2026, 10, 20, 9)

function monthDocs() {
  const docs = new Map<string, Y.Doc>()
  const open = async (docId: string) => {
    let doc = docs.get(docId)
    if (!doc) {
      doc = new Y.Doc({ guid: docId })
      initAgendaDoc(doc, docId.slice('agenda/'.length))
      docs.set(docId, doc)
    }
    return doc
  }
  return { docs, open }
}

const fields = validateAppointmentInput({
  start: '2026-11-30T09:00',
  timeZone: 'Europe/Paris',
  durationMin: 30,
  practitionerId: 'prclaire01',
  title: 'Séance',
})

async function booked() {
  const { docs, open } = monthDocs()
  const id = await createAppointment(open, fields, actor, clock)
  const before = getAppointment(docs.get('agenda/2026-11')!, id)!
  return { docs, open, id, before }
}

describe('undo', () => {
  it('writes back only the fields the change made', () => {
    const before = { id: 'x', start: '2026-11-30T09:00', practitionerId: 'p', durationMin: 30, status: 'booked' as const, cancelReason: undefined }
    expect(undoPatch('move', before)).toEqual({ start: '2026-11-30T09:00', practitionerId: 'p', durationMin: 30 })
    expect(undoPatch('resize', before)).toEqual({ durationMin: 30 })
    expect(undoPatch('cancel', before)).toEqual({ status: 'booked', cancelReason: null })
  })

  it('puts a move into the next month back where it was, in its own month', async () => {
    const { docs, open, id, before } = await booked()
    await changeAppointment(open, before, { start: '2026-12-01T10:00', practitionerId: 'prmarc0001' }, actor, clock)
    await applyUndo(open, undoOf('move', [before], () => '2026-12-01T10:00'), actor, clock)
    expect(getAppointment(docs.get('agenda/2026-11')!, id)).toMatchObject({ start: '2026-11-30T09:00', practitionerId: 'prclaire01' })
    expect(listAppointments(docs.get('agenda/2026-12')!).items).toEqual([])
  })

  it('puts a cancellation back to « Prévu » without its reason, and keeps a concurrent note', async () => {
    const { docs, open, id, before } = await booked()
    await changeStatus(open, before, 'cancelled', actor, clock, 'Malade')
    updateAppointment(docs.get('agenda/2026-11')!, id, { note: 'Rappeler' }, actor, clock)
    await applyUndo(open, undoOf('cancel', [before]), actor, clock)
    const now = getAppointment(docs.get('agenda/2026-11')!, id) as Appointment
    expect([now.status, now.cancelReason, now.note]).toEqual(['booked', undefined, 'Rappeler'])
  })
})
