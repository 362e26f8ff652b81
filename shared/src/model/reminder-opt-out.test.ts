import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { recordHistory } from './change-log'
import { addPatient, getPatient, updatePatient } from './patients'
import { reminderOptOutOf, setReminderOptOut } from './reminder-opt-out'
import { alice, bob, exchange, fork, steppingClock } from './test-support'
import { ValidationError } from './validation'

describe('reminder opt-out', () => {
  it('is off by default, set and cleared through the patient record, each change in its history', () => {
    const doc = new Y.Doc()
    const clock = steppingClock()
    const id = addPatient(doc, { birthName: 'Dupont', firstNames: 'Jeanne' }, alice, clock)
    expect(reminderOptOutOf(doc, id)).toBe(false)
    expect(setReminderOptOut(doc, id, true, alice, clock)).toBe(true)
    expect(reminderOptOutOf(doc, id)).toBe(true)
    expect(setReminderOptOut(doc, id, true, alice, clock)).toBe(false)
    expect(setReminderOptOut(doc, id, false, bob, clock)).toBe(true)
    expect(reminderOptOutOf(doc, id)).toBe(false)
    const changes = recordHistory(doc, 'patients', id).filter((e) => e.kind === 'change')
    expect(changes.map((e) => (e.kind === 'change' ? [e.field, e.previous, e.value] : null))).toEqual([
      ['reminderOptOut', true, undefined],
      ['reminderOptOut', undefined, true],
    ])
  })

  it('is validated as a yes/no, and an edit of another field keeps it', () => {
    const doc = new Y.Doc()
    const clock = steppingClock()
    const id = addPatient(doc, { birthName: 'Dupont', firstNames: 'Jeanne', reminderOptOut: true }, alice, clock)
    expect(() => updatePatient(doc, id, { reminderOptOut: 'oui' as unknown as boolean }, alice, clock)).toThrow(ValidationError)
    updatePatient(doc, id, { firstNames: 'Jeanne-Marie' }, alice, clock)
    expect(reminderOptOutOf(doc, id)).toBe(true)
    expect(getPatient(doc, id)?.firstNames).toBe('Jeanne-Marie')
  })

  it('merges with a concurrent edit of another field', () => {
    const a = new Y.Doc()
    const clock = steppingClock()
    const id = addPatient(a, { birthName: 'Dupont', firstNames: 'Jeanne' }, alice, clock)
    const b = fork(a)
    setReminderOptOut(a, id, true, alice, clock)
    updatePatient(b, id, { phones: ['0612345678'] }, bob, clock)
    exchange(a, b)
    for (const doc of [a, b]) {
      expect(reminderOptOutOf(doc, id)).toBe(true)
      expect(getPatient(doc, id)?.phones).toEqual(['0612345678'])
    }
  })
})
