import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { fixedClock } from './actor'
import {
  addAttachment,
  addNote,
  addPrescription,
  getNote,
  getNoteText,
  listAttachments,
  listNotes,
  listPrescriptions,
  markNoteEdited,
  softDeleteAttachment,
  softDeleteNote,
  updateNote,
  updatePrescription,
} from './patient-file'
import { RecordNotFoundError } from './records'
import { T0, alice, bob, exchange, fork, steppingClock } from './test-support'

describe('notes', () => {
  it('stores text as a Y.Text that merges concurrent typing character by character', () => {
    const a = new Y.Doc()
    const id = addNote(a, { date: '2026-11-23', kind: 'session', text: 'Douleur lombaire.' }, alice, fixedClock(T0))
    const b = fork(a)
    getNoteText(a, id).insert(0, 'Séance 3. ')
    const tb = getNoteText(b, id)
    tb.insert(tb.length, ' Exercices à domicile.')
    exchange(a, b)
    expect(getNoteText(a, id).toString()).toBe('Séance 3. Douleur lombaire. Exercices à domicile.')
    expect(getNote(b, id)?.text).toBe('Séance 3. Douleur lombaire. Exercices à domicile.')
  })

  it('lists newest first and hides soft-deleted notes, keeping their text', () => {
    const doc = new Y.Doc()
    const c = steppingClock()
    const old = addNote(doc, { date: '2026-11-02', kind: 'assessment', text: 'Bilan' }, alice, c)
    const sameDayFirst = addNote(doc, { date: '2026-11-23', kind: 'session' }, alice, c)
    const sameDaySecond = addNote(doc, { date: '2026-11-23', kind: 'session' }, alice, c)
    expect(listNotes(doc).items.map((n) => n.id)).toEqual([sameDaySecond, sameDayFirst, old])
    softDeleteNote(doc, old, bob, c)
    expect(listNotes(doc).items.map((n) => n.id)).toEqual([sameDaySecond, sameDayFirst])
    expect(listNotes(doc, { includeDeleted: true }).items.find((n) => n.id === old)).toMatchObject({ text: 'Bilan', deletedBy: bob })
  })

  it('edits metadata without touching the text, and stamps text edits on request', () => {
    const doc = new Y.Doc()
    const id = addNote(doc, { date: '2026-11-23', kind: 'session', text: 'abc' }, alice, fixedClock(T0))
    const text = getNoteText(doc, id)
    expect(updateNote(doc, id, { kind: 'assessment', appointmentId: 'appt1' }, bob, fixedClock(T0 + 1))).toBe(true)
    expect(getNoteText(doc, id)).toBe(text)
    expect(getNote(doc, id)).toMatchObject({ kind: 'assessment', appointmentId: 'appt1', text: 'abc', updatedBy: bob })
    markNoteEdited(doc, id, alice, fixedClock(T0 + 2))
    expect(getNote(doc, id)).toMatchObject({ updatedAt: T0 + 2, updatedBy: alice })
    expect(() => getNoteText(doc, 'nope')).toThrow(RecordNotFoundError)
  })
})

describe('prescriptions', () => {
  it('adds, edits and lists prescriptions newest first; concurrent adds both kept', () => {
    const a = new Y.Doc()
    const b = new Y.Doc()
    const p1 = addPrescription(a, { prescriberName: 'Dr Blanc', date: '2026-09-01', indication: 'Entorse', sessionsPrescribed: 10 }, alice, fixedClock(T0))
    const p2 = addPrescription(
      b,
      { prescriberName: 'Dr Noir', prescriberRpps: '10001234567', date: '2026-11-01', indication: 'Lombalgie' },
      bob,
      fixedClock(T0),
    )
    exchange(a, b)
    expect(listPrescriptions(a).items.map((p) => p.id)).toEqual([p2, p1])
    updatePrescription(b, p1, { sessionsPrescribed: 15 }, bob, fixedClock(T0 + 1))
    exchange(a, b)
    expect(listPrescriptions(a).items.find((p) => p.id === p1)).toMatchObject({ sessionsPrescribed: 15, indication: 'Entorse' })
  })
})

describe('attachments', () => {
  const hash = 'ab'.repeat(32)

  it('keeps a validated reference, newest first, and hides soft-deleted ones', () => {
    const doc = new Y.Doc()
    const c = steppingClock()
    const first = addAttachment(doc, { hash, name: 'ordonnance.jpg', mime: 'image/jpeg', size: 1234 }, alice, c)
    const second = addAttachment(doc, { hash: 'cd'.repeat(32), name: 'bilan.pdf', mime: 'application/pdf', size: 99, prescriptionId: 'presc1' }, bob, c)
    expect(listAttachments(doc).items.map((a) => [a.id, a.name, a.prescriptionId])).toEqual([
      [second, 'bilan.pdf', 'presc1'],
      [first, 'ordonnance.jpg', undefined],
    ])
    softDeleteAttachment(doc, first, alice, c)
    expect(listAttachments(doc).items.map((a) => a.id)).toEqual([second])
    expect(listAttachments(doc, { includeDeleted: true }).items).toHaveLength(2)
  })

  it('refuses a hash that is not 64 lower-case hex digits, naming the field', () => {
    const doc = new Y.Doc()
    expect(() => addAttachment(doc, { hash: 'ABC', name: 'x.pdf', mime: 'application/pdf', size: 1 }, alice, fixedClock(T0))).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: 'hash' })] }),
    )
    expect(listAttachments(doc).items).toEqual([])
  })
})
