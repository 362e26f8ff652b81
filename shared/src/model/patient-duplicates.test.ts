import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { areDuplicates, sameIdentity, findDuplicates, findDuplicatesOf, mergePatients } from './patient-duplicates'
import { addPatient, getPatient, listPatients, patientHistory, updatePatient } from './patients'
import { PatientSearchIndex } from './patient-search'
import type { Patient } from './record-schemas'
import { alice, bob, exchange, fork, steppingClock, T0 } from './test-support'

const meta = { createdAt: T0, createdBy: alice, updatedAt: T0, updatedBy: alice, archived: false }
function p(id: string, fields: Partial<Patient>): Patient {
  return { id, birthName: 'Lefèvre', firstNames: 'Zoé', birthDate: '1958-03-12', ...meta, ...fields } as Patient
}

describe('duplicate rule', () => {
  it.each([
    ['same names and birth date, accents and case aside', p('a', {}), p('b', { birthName: 'LEFEVRE', firstNames: 'zoe' }), true],
    ['usual name of one is the birth name of the other', p('a', {}), p('b', { birthName: 'Roux', usualName: 'Lefèvre' }), true],
    ['same usual names, different birth names', p('a', { usualName: 'Roux' }), p('b', { birthName: 'Blanc', usualName: 'roux' }), true],
    ['other birth date', p('a', {}), p('b', { birthDate: '1958-03-13' }), false],
    ['no birth date on either', p('a', { birthDate: undefined }), p('b', { birthDate: undefined }), false],
    ['other first names', p('a', {}), p('b', { firstNames: 'Zoé Marie' }), false],
    ['other names', p('a', {}), p('b', { birthName: 'Lefebvre' }), false],
    ['the same record', p('a', {}), p('a', {}), false],
  ])('%s', (_, a, b, expected) => {
    expect(areDuplicates(a, b)).toBe(expected)
    // The same rule on identities alone (a patient about to be created), the same record aside.
    if (a.id !== b.id) expect(sameIdentity(a, { birthName: b.birthName, usualName: b.usualName, firstNames: b.firstNames, birthDate: b.birthDate })).toBe(expected)
  })

  it('finds pairs, keeps the older, ignores deleted records', () => {
    const older = p('z', { createdAt: T0 - 1000 })
    const newer = p('a', {})
    const gone = p('c', { deletedAt: T0 })
    const other = p('d', { birthName: 'Martin' })
    expect(findDuplicates([newer, other, older, gone])).toEqual([{ keep: older, drop: newer }])
  })

  it.each([
    ['same names and birth date, accents and case aside', p('a', {}), p('b', { birthName: 'LEFEVRE', firstNames: 'zoe' }), true],
    ['usual name of one is the birth name of the other', p('a', {}), p('b', { birthName: 'Roux', usualName: 'Lefèvre' }), true],
    ['same usual names, different birth names', p('a', { usualName: 'Roux' }), p('b', { birthName: 'Blanc', usualName: 'roux' }), true],
    ['an empty usual name is none', p('a', { usualName: '' }), p('b', { birthName: 'Blanc', usualName: '' }), false],
    ['other first names', p('a', {}), p('b', { firstNames: 'Zoé Marie' }), false],
    ['other names', p('a', {}), p('b', { birthName: 'Lefebvre' }), false],
  ])('with the names a search index folded: %s', (_, a, b, expected) => {
    const index = new PatientSearchIndex([a, b])
    let folded = 0
    const pairs = findDuplicates([a, b], (patient) => {
      const names = index.foldedNames(patient)
      if (names) folded++
      return names
    })
    expect(pairs).toEqual(findDuplicates([a, b]))
    expect(pairs.length > 0).toBe(expected)
    // The index's names were the ones compared; a record it does not hold is folded here.
    expect(folded).toBe(2)
    expect(index.foldedNames({ ...a })).toBeUndefined()
  })
})

describe('merge', () => {
  it('merges two patients created offline on two devices, keeping both histories', () => {
    const a = new Y.Doc()
    const b = fork(a)
    const clockA = steppingClock(T0)
    const clockB = steppingClock(T0 + 60_000)
    const kept = addPatient(a, { birthName: 'Lefèvre', firstNames: 'Zoé', birthDate: '1958-03-12', phones: ['0612345678'] }, alice, clockA)
    const dropped = addPatient(b, { birthName: 'Lefevre', firstNames: 'Zoe', birthDate: '1958-03-12', email: 'zoe@example.fr' }, bob, clockB)
    updatePatient(b, dropped, { phones: ['0698765432'] }, bob, clockB)
    exchange(a, b)
    const pairs = findDuplicates(listPatients(a).items)
    expect(pairs.map((pair) => [pair.keep.id, pair.drop.id])).toEqual([[kept, dropped]])
    expect(findDuplicatesOf(a, dropped)).toEqual(pairs)
    expect(findDuplicatesOf(a, kept)).toEqual(pairs)

    mergePatients(a, kept, dropped, alice, clockA)
    exchange(a, b)
    for (const doc of [a, b]) {
      // The kept one's phone stays; the email it lacked is copied over.
      expect(getPatient(doc, kept)).toMatchObject({ phones: ['0612345678'], email: 'zoe@example.fr' })
      expect(getPatient(doc, dropped)).toMatchObject({ mergedInto: kept, deletedAt: expect.any(Number) })
      expect(listPatients(doc).items.map((x) => x.id)).toEqual([kept])
      expect(findDuplicatesOf(doc, kept)).toEqual([])
      const history = patientHistory(doc, kept)
      expect(history.filter((e) => e.recordId === dropped).map((e) => e.kind)).toEqual(
        expect.arrayContaining(['create', 'change', 'delete']),
      )
      expect(history.some((e) => e.kind === 'merge')).toBe(true)
    }
  })
})
