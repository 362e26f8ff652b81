import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { fixedClock } from './actor'
import { DIRECTORY_MAPS } from './collections'
import {
  addPatient,
  getPatient,
  listPatients,
  patientDisplayName,
  restorePatient,
  softDeletePatient,
  updatePatient,
} from './patients'
import { searchPatients } from './patient-search'
import { RecordNotFoundError } from './records'
import { ValidationError } from './validation'
import { T0, alice, bob, exchange, fork, steppingClock } from './test-support'

const lea = { birthName: 'Martin', firstNames: 'Léa', phones: ['06 12 34 56 78'] }

describe('patient birth dates, by the clock the caller gives', () => {
  // T0 is 2026-11-02 in Paris.
  it('refuses a birth date after today or more than 130 years ago', () => {
    const doc = new Y.Doc()
    for (const birthDate of ['2026-11-03', '1800-01-01', '0001-01-01']) {
      expect(() => addPatient(doc, { ...lea, birthDate }, alice, fixedClock(T0)), birthDate).toThrow(ValidationError)
    }
    expect(listPatients(doc).items).toEqual([])
    const id = addPatient(doc, { ...lea, birthDate: '2026-11-02' }, alice, fixedClock(T0))
    expect(() => updatePatient(doc, id, { birthDate: '2027-01-01' }, alice, fixedClock(T0))).toThrow(ValidationError)
    // A year later, the same date is in the past.
    expect(updatePatient(doc, id, { birthDate: '2027-01-01' }, alice, fixedClock(T0 + 365 * 86_400_000))).toBe(true)
  })

  it('does not judge a birth date stored earlier when another field is edited', () => {
    const doc = new Y.Doc()
    const id = addPatient(doc, { ...lea, birthDate: '1980-01-01' }, alice, fixedClock(T0))
    // As a record written by an older version would be.
    ;(doc.getMap(DIRECTORY_MAPS.patients).get(id) as Y.Map<unknown>).set('birthDate', '1800-01-01')
    expect(updatePatient(doc, id, { archived: true }, alice, fixedClock(T0))).toBe(true)
    expect(getPatient(doc, id)).toMatchObject({ birthDate: '1800-01-01', archived: true })
  })
})

describe('patient index', () => {
  it('adds a patient with stamps and a random id', () => {
    const doc = new Y.Doc()
    const id = addPatient(doc, lea, alice, fixedClock(T0))
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(addPatient(doc, lea, alice, fixedClock(T0))).not.toBe(id)
    expect(getPatient(doc, id)).toEqual({
      id,
      birthName: 'Martin',
      firstNames: 'Léa',
      phones: ['0612345678'],
      archived: false,
      createdAt: T0,
      createdBy: alice,
      updatedAt: T0,
      updatedBy: alice,
    })
  })

  it('merges concurrent edits of different fields: both survive', () => {
    const a = new Y.Doc()
    const id = addPatient(a, lea, alice, fixedClock(T0))
    const b = fork(a)

    updatePatient(a, id, { phones: ['07 00 00 00 01'] }, alice, fixedClock(T0 + 1000))
    updatePatient(b, id, { address: { line1: '3 rue des Lilas', postalCode: '75011', city: 'Paris' } }, bob, fixedClock(T0 + 2000))
    exchange(a, b)

    for (const doc of [a, b]) {
      expect(getPatient(doc, id)).toMatchObject({
        phones: ['0700000001'],
        address: { line1: '3 rue des Lilas', postalCode: '75011', city: 'Paris' },
      })
    }
    expect(getPatient(a, id)).toEqual(getPatient(b, id))
  })

  it('writes only changed fields, so an untouched field does not clobber a concurrent edit', () => {
    const a = new Y.Doc()
    const id = addPatient(a, { ...lea, email: 'lea@example.fr' }, alice, fixedClock(T0))
    const b = fork(a)
    // Alice's form sends every field back, email unchanged; Bob changes the email meanwhile.
    const form = getPatient(a, id)!
    updatePatient(a, id, { birthName: form.birthName, firstNames: 'Léa Marie', email: form.email, phones: form.phones }, alice, fixedClock(T0 + 1000))
    updatePatient(b, id, { email: 'lea.martin@example.fr' }, bob, fixedClock(T0 + 1000))
    exchange(a, b)
    expect(getPatient(a, id)).toMatchObject({ firstNames: 'Léa Marie', email: 'lea.martin@example.fr' })
    expect(getPatient(b, id)).toMatchObject({ firstNames: 'Léa Marie', email: 'lea.martin@example.fr' })
  })

  it('resolves concurrent edits of one field to the same value on every replica', () => {
    const a = new Y.Doc()
    const id = addPatient(a, lea, alice, fixedClock(T0))
    const b = fork(a)
    updatePatient(a, id, { email: 'a@example.fr' }, alice, fixedClock(T0 + 1))
    updatePatient(b, id, { email: 'b@example.fr' }, bob, fixedClock(T0 + 1))
    exchange(a, b)
    expect(getPatient(a, id)?.email).toBe(getPatient(b, id)?.email)
    expect(['a@example.fr', 'b@example.fr']).toContain(getPatient(a, id)?.email)
  })

  it('keeps both patients added offline on two devices', () => {
    const a = new Y.Doc()
    const b = new Y.Doc()
    const idA = addPatient(a, lea, alice, fixedClock(T0))
    const idB = addPatient(b, { birthName: 'Bernard', firstNames: 'Paul' }, bob, fixedClock(T0))
    exchange(a, b)
    for (const doc of [a, b]) {
      expect(listPatients(doc).items.map((p) => p.id).sort()).toEqual([idA, idB].sort())
    }
  })

  it('does not stamp or write anything when nothing changed', () => {
    const doc = new Y.Doc()
    const id = addPatient(doc, lea, alice, fixedClock(T0))
    const before = Y.encodeStateVector(doc)
    expect(updatePatient(doc, id, { birthName: 'Martin', phones: ['06.12.34.56.78'] }, bob, fixedClock(T0 + 5))).toBe(false)
    expect(Y.encodeStateVector(doc)).toEqual(before)
    expect(getPatient(doc, id)?.updatedBy).toEqual(alice)
  })

  it('clears optional fields with null or a blank, and stamps the editor', () => {
    const doc = new Y.Doc()
    const id = addPatient(doc, { ...lea, usualName: 'Dupont', email: 'x@example.fr' }, alice, fixedClock(T0))
    expect(updatePatient(doc, id, { usualName: null, email: '' }, bob, fixedClock(T0 + 60_000))).toBe(true)
    const p = getPatient(doc, id)!
    expect(p.usualName).toBeUndefined()
    expect(p.email).toBeUndefined()
    expect(p).toMatchObject({ updatedAt: T0 + 60_000, updatedBy: bob, createdBy: alice })
  })

  it('refuses invalid patches and clearing required fields, writing nothing', () => {
    const doc = new Y.Doc()
    const id = addPatient(doc, lea, alice, fixedClock(T0))
    const before = Y.encodeStateAsUpdate(doc)
    expect(() => updatePatient(doc, id, { birthName: '' }, bob, fixedClock(T0))).toThrow(ValidationError)
    expect(() => updatePatient(doc, id, { nir: '123' }, bob, fixedClock(T0))).toThrow(ValidationError)
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before)
    expect(() => updatePatient(doc, 'missing', { email: null }, bob, fixedClock(T0))).toThrow(RecordNotFoundError)
  })

  it('soft-deletes: hidden from lists, data and stamps kept, restorable', () => {
    const doc = new Y.Doc()
    const id = addPatient(doc, lea, alice, fixedClock(T0))
    softDeletePatient(doc, id, bob, fixedClock(T0 + 1000))
    expect(listPatients(doc).items).toEqual([])
    const deleted = listPatients(doc, { includeDeleted: true }).items[0]
    expect(deleted).toMatchObject({ id, birthName: 'Martin', phones: ['0612345678'], deletedAt: T0 + 1000, deletedBy: bob })
    expect(getPatient(doc, id)?.deletedAt).toBe(T0 + 1000)
    restorePatient(doc, id, alice, fixedClock(T0 + 2000))
    expect(listPatients(doc).items.map((p) => p.id)).toEqual([id])
  })

  it('keeps an edit made offline while another device deleted the patient', () => {
    const a = new Y.Doc()
    const id = addPatient(a, lea, alice, fixedClock(T0))
    const b = fork(a)
    softDeletePatient(a, id, alice, fixedClock(T0 + 1))
    updatePatient(b, id, { email: 'late@example.fr' }, bob, fixedClock(T0 + 2))
    exchange(a, b)
    expect(getPatient(a, id)).toMatchObject({ email: 'late@example.fr', deletedAt: T0 + 1 })
  })

  it('hides archived patients unless asked', () => {
    const doc = new Y.Doc()
    const id = addPatient(doc, lea, alice, fixedClock(T0))
    updatePatient(doc, id, { archived: true }, alice, fixedClock(T0))
    expect(listPatients(doc).items).toEqual([])
    expect(listPatients(doc, { includeArchived: true }).items.map((p) => p.id)).toEqual([id])
  })

  it('sorts by usual (else birth) name then first names, in French order', () => {
    const doc = new Y.Doc()
    const clock = steppingClock()
    for (const p of [
      { birthName: 'Zola', firstNames: 'Émile' },
      { birthName: 'Martin', usualName: 'Dupont', firstNames: 'Léa' },
      { birthName: 'élie', firstNames: 'Anne' },
      { birthName: 'Eliot', firstNames: 'Bruno' },
      { birthName: 'Dupont', firstNames: 'Adèle' },
      { birthName: 'de Gaulle', firstNames: 'Charles' },
    ]) {
      addPatient(doc, p, alice, clock)
    }
    expect(listPatients(doc).items.map(patientDisplayName)).toEqual([
      'de Gaulle Charles',
      'Dupont Adèle',
      'Dupont Léa',
      'élie Anne',
      'Eliot Bruno',
      'Zola Émile',
    ])
  })

  it('skips and reports records that fail validation instead of crashing', () => {
    const doc = new Y.Doc()
    const good = addPatient(doc, lea, alice, fixedClock(T0))
    const patients = doc.getMap(DIRECTORY_MAPS.patients)
    const bad = new Y.Map<unknown>()
    patients.set('bad', bad)
    bad.set('birthName', 42)
    patients.set('notAMap', 'oops')
    const { items, issues } = listPatients(doc)
    expect(items.map((p) => p.id)).toEqual([good])
    expect(issues.map((i) => i.id).sort()).toEqual(['bad', 'notAMap'])
    expect(issues.find((i) => i.id === 'bad')?.issues).toContainEqual(
      expect.objectContaining({ path: 'birthName', code: 'invalid_type' }),
    )
    expect(getPatient(doc, 'bad')).toBeUndefined()
  })

  it('reads records with unfamiliar formats or extra fields written by other versions', () => {
    const doc = new Y.Doc()
    const id = addPatient(doc, lea, alice, fixedClock(T0))
    const record = doc.getMap(DIRECTORY_MAPS.patients).get(id) as Y.Map<unknown>
    record.set('phones', ['06-12-34'])
    record.set('futureField', { x: 1 })
    expect(listPatients(doc).items).toHaveLength(1)
    expect(getPatient(doc, id)?.phones).toEqual(['06-12-34'])
  })

  it('searches names without accents or case, phones and birth dates', () => {
    const doc = new Y.Doc()
    const clock = steppingClock()
    const lea2 = addPatient(doc, { ...lea, birthDate: '1984-12-03' }, alice, clock)
    const emile = addPatient(doc, { birthName: 'Zola', firstNames: 'Émile', phones: ['0145678901'] }, alice, clock)
    expect(searchPatients(doc, 'lea mar').items.map((p) => p.id)).toEqual([lea2])
    expect(searchPatients(doc, 'EMILE').items.map((p) => p.id)).toEqual([emile])
    expect(searchPatients(doc, '01 45').items.map((p) => p.id)).toEqual([emile])
    expect(searchPatients(doc, '03/12/1984').items.map((p) => p.id)).toEqual([lea2])
    expect(searchPatients(doc, '').items).toHaveLength(2)
  })
})
