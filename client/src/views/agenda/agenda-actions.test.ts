import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { getAppointment, initAgendaDoc, listAppointments, validateAppointmentInput } from '../../../../shared/src/model'
import type { Actor } from '../../../../shared/src/model'
import { changeAppointment, changeStatus, createAppointment } from './agenda-actions'

const actor: Actor = { memberId: 'member-claire', deviceId: 'device-tablet' }
const clock = () => Date.UTC(2026, 10, 20, 9)

function monthDocs() {
  const docs = new Map<string, Y.Doc>()
  const opened: string[] = []
  const open = async (docId: string) => {
    opened.push(docId)
    let doc = docs.get(docId)
    if (!doc) {
      doc = new Y.Doc({ guid: docId })
      initAgendaDoc(doc, docId.slice('agenda/'.length))
      docs.set(docId, doc)
    }
    return doc
  }
  return { docs, open, opened }
}

const visit = validateAppointmentInput({
  start: '2026-11-30T09:00',
  timeZone: 'Europe/Paris',
  durationMin: 30,
  practitionerId: 'prclaire01',
  title: 'Séance',
})

describe('agenda actions', () => {
  it('creates in the month doc of the start, and opens nothing else', async () => {
    const { docs, open, opened } = monthDocs()
    const id = await createAppointment(open, visit, actor, clock)
    expect(opened).toEqual(['agenda/2026-11'])
    expect(getAppointment(docs.get('agenda/2026-11')!, id)?.start).toBe('2026-11-30T09:00')
  })

  it('updates within the month, and moves across months keeping the id', async () => {
    const { docs, open } = monthDocs()
    const id = await createAppointment(open, visit, actor, clock)
    await changeAppointment(open, { id, start: visit.start }, { start: '2026-11-30T10:15', durationMin: 45 }, actor, clock)
    const november = docs.get('agenda/2026-11')!
    expect(getAppointment(november, id)).toMatchObject({ start: '2026-11-30T10:15', durationMin: 45 })

    // Dragged from Monday 30 November to Tuesday 1 December in the week view.
    await changeAppointment(open, { id, start: '2026-11-30T10:15' }, { start: '2026-12-01T10:15', practitionerId: 'prmarc0001' }, actor, clock)
    expect(listAppointments(november).items).toEqual([])
    expect(getAppointment(november, id)?.movedTo).toBe('2026-12')
    expect(getAppointment(docs.get('agenda/2026-12')!, id)).toMatchObject({
      start: '2026-12-01T10:15',
      practitionerId: 'prmarc0001',
      durationMin: 45,
    })
  })

  it('sets a status, and a cancellation keeps its reason', async () => {
    const { docs, open } = monthDocs()
    const id = await createAppointment(open, visit, actor, clock)
    await changeStatus(open, { id, start: visit.start }, 'cancelled', actor, clock, 'Patient malade')
    expect(getAppointment(docs.get('agenda/2026-11')!, id)).toMatchObject({ status: 'cancelled', cancelReason: 'Patient malade' })
    await changeStatus(open, { id, start: visit.start }, 'booked', actor, clock)
    const restored = getAppointment(docs.get('agenda/2026-11')!, id)
    expect(restored?.status).toBe('booked')
    expect(restored?.cancelReason).toBeUndefined()
  })
})
