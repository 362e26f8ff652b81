import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { recordHistory } from './change-log'
import { RestoreError } from './records'
import type { FieldChange } from './change-log'
import { addAppointment, updateAppointment } from './agenda'
import { addPatient, getPatient, patientHistory, restorePatientField, softDeletePatient, updatePatient } from './patients'
import { alice, bob, exchange, fork, steppingClock, T0 } from './test-support'

function changes(doc: Y.Doc, id: string): FieldChange[] {
  return patientHistory(doc, id).filter((e): e is FieldChange => e.kind === 'change')
}

describe('change log', () => {
  it('logs creation, each changed field with its previous value, and deletion', () => {
    const doc = new Y.Doc()
    const clock = steppingClock()
    const id = addPatient(doc, { birthName: 'Lefèvre', firstNames: 'Zoé', phones: ['0612345678'] }, alice, clock)
    updatePatient(doc, id, { phones: ['0698765432'], email: 'zoe@example.fr', birthName: 'Lefèvre' }, bob, clock)
    softDeletePatient(doc, id, alice, clock)
    const history = patientHistory(doc, id)
    expect(history.map((e) => e.kind)).toEqual(['delete', 'change', 'change', 'create'])
    const byField = Object.fromEntries(changes(doc, id).map((c) => [c.field, c]))
    expect(byField.phones).toMatchObject({ previous: ['0612345678'], value: ['0698765432'], by: bob, at: T0 + 1000 })
    expect(byField.email).toMatchObject({ value: 'zoe@example.fr', by: bob })
    expect('previous' in (byField.email ?? {})).toBe(false)
    // The unchanged birth name left no entry.
    expect(byField.birthName).toBeUndefined()
  })

  it('keeps both entries when two replicas edit different fields concurrently', () => {
    const a = new Y.Doc()
    const clock = steppingClock()
    const id = addPatient(a, { birthName: 'Martin', firstNames: 'Léa', phones: ['0612345678'] }, alice, clock)
    const b = fork(a)
    updatePatient(a, id, { address: { line1: '3 rue des Lilas', postalCode: '69003', city: 'Lyon' } }, alice, clock)
    updatePatient(b, id, { phones: ['0698765432'] }, bob, clock)
    exchange(a, b)
    for (const doc of [a, b]) {
      expect(getPatient(doc, id)).toMatchObject({ phones: ['0698765432'], address: { city: 'Lyon' } })
      expect(changes(doc, id).map((c) => [c.field, c.by.deviceId]).sort()).toEqual([
        ['address', alice.deviceId],
        ['phones', bob.deviceId],
      ])
    }
  })

  it("keeps the losing value of a concurrent edit of the same field in history, on both replicas", () => {
    const a = new Y.Doc()
    const clock = steppingClock()
    const id = addPatient(a, { birthName: 'Martin', firstNames: 'Léa', phones: ['0600000000'] }, alice, clock)
    const b = fork(a)
    updatePatient(a, id, { phones: ['0611111111'] }, alice, clock)
    updatePatient(b, id, { phones: ['0622222222'] }, bob, clock)
    exchange(a, b)
    const winner = getPatient(a, id)?.phones
    expect(getPatient(b, id)?.phones).toEqual(winner)
    for (const doc of [a, b]) {
      const values = changes(doc, id).map((c) => c.value)
      expect(values).toHaveLength(2)
      expect(values).toEqual(expect.arrayContaining([['0611111111'], ['0622222222']]))
    }
  })

  it('restores a previous value as a new change, itself in history', () => {
    const doc = new Y.Doc()
    const clock = steppingClock()
    const id = addPatient(doc, { birthName: 'Martin', firstNames: 'Léa', phones: ['0612345678'] }, alice, clock)
    updatePatient(doc, id, { phones: ['0698765432'], email: 'lea@example.fr' }, bob, clock)
    const phoneChange = changes(doc, id).find((c) => c.field === 'phones')
    const emailChange = changes(doc, id).find((c) => c.field === 'email')
    if (!phoneChange || !emailChange) throw new Error('both changes are logged')
    expect(restorePatientField(doc, phoneChange, alice, clock)).toBe(true)
    expect(getPatient(doc, id)?.phones).toEqual(['0612345678'])
    // A field absent before the change is cleared by restoring.
    restorePatientField(doc, emailChange, alice, clock)
    expect(getPatient(doc, id)?.email).toBeUndefined()
    const latest = changes(doc, id)[1]
    expect(latest).toMatchObject({ field: 'phones', previous: ['0698765432'], value: ['0612345678'], by: alice })
  })

  it('refuses to restore what is not an editable patient field', () => {
    const doc = new Y.Doc()
    const clock = steppingClock()
    const id = addPatient(doc, { birthName: 'Martin', firstNames: 'Léa' }, alice, clock)
    const stamp = { kind: 'change', collection: 'patients', recordId: id, field: 'createdBy', previous: bob, at: T0, by: bob } as const
    expect(() => restorePatientField(doc, stamp, alice, clock)).toThrow(RestoreError)
    expect(() => restorePatientField(doc, { ...stamp, collection: 'appointments', field: 'email' }, alice, clock)).toThrow(RestoreError)
    expect(getPatient(doc, id)?.createdBy).toEqual(alice)
  })

  it('logs appointments through the same record layer', () => {
    const doc = new Y.Doc({ guid: 'agenda/2026-11' })
    const clock = steppingClock()
    const id = addAppointment(doc, { start: '2026-11-02T09:00', durationMin: 30, practitionerId: 'pr1', title: 'Réunion' }, alice, clock)
    updateAppointment(doc, id, { durationMin: 45 }, bob, clock)
    const history = recordHistory(doc, 'appointments', id)
    expect(history[0]).toMatchObject({ kind: 'change', field: 'durationMin', previous: 30, value: 45, by: bob })
    expect(history[1]).toMatchObject({ kind: 'create', by: alice })
  })

  it('skips entries another version wrote in a shape it cannot read', () => {
    const doc = new Y.Doc()
    const id = addPatient(doc, { birthName: 'Martin', firstNames: 'Léa' }, alice, steppingClock())
    doc.getArray('history').push([{ kind: 'teleport', collection: 'patients', recordId: id, at: 1 }, 'garbage'])
    expect(patientHistory(doc, id).map((e) => e.kind)).toEqual(['create'])
  })
})
