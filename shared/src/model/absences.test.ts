import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { absenceOn, addAbsence, getAbsence, listAbsences, softDeleteAbsence, updateAbsence } from './absences'
import { recordHistory } from './change-log'
import { newRecordId } from './ids'
import { alice, bob, exchange, fork, steppingClock } from './test-support'
import { ValidationError } from './validation'

const prac = newRecordId()

function issuesOf(run: () => unknown): { path: string; code: string }[] {
  try {
    run()
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map(({ path, code }) => ({ path, code }))
    throw error
  }
  throw new Error('expected a ValidationError')
}

describe('absences', () => {
  it('adds, reads, edits and soft-deletes an absence, each step in the change log', () => {
    const doc = new Y.Doc()
    const clock = steppingClock()
    const id = addAbsence(doc, { practitionerId: prac, from: '2026-12-21', to: '2027-01-03', label: ' Congés ' }, alice, clock)
    expect(getAbsence(doc, id)).toMatchObject({ practitionerId: prac, from: '2026-12-21', to: '2027-01-03', label: 'Congés' })
    expect(updateAbsence(doc, id, { to: '2027-01-01', label: null }, bob, clock)).toBe(true)
    expect(getAbsence(doc, id)).toMatchObject({ to: '2027-01-01' })
    expect(getAbsence(doc, id)?.label).toBeUndefined()
    softDeleteAbsence(doc, id, alice, clock)
    expect(listAbsences(doc).items).toEqual([])
    expect(listAbsences(doc, { includeDeleted: true }).items).toHaveLength(1)
    expect(recordHistory(doc, 'absences', [id]).map((e) => e.kind)).toEqual(['delete', 'change', 'change', 'create'])
  })

  it('refuses an end before the start, a year and more, a bad date and a missing practitioner, naming the field', () => {
    const doc = new Y.Doc()
    const clock = steppingClock()
    expect(issuesOf(() => addAbsence(doc, { practitionerId: prac, from: '2026-12-21', to: '2026-12-20' }, alice, clock))).toEqual([
      { path: 'to', code: 'out_of_range' },
    ])
    expect(issuesOf(() => addAbsence(doc, { practitionerId: prac, from: '2026-01-01', to: '2027-01-02' }, alice, clock))).toEqual([
      { path: 'to', code: 'out_of_range' },
    ])
    expect(issuesOf(() => addAbsence(doc, { practitionerId: '', from: '2026-02-30', to: '2026-03-01', label: 'x'.repeat(81) }, alice, clock))).toEqual([
      { path: 'practitionerId', code: 'required' },
      { path: 'from', code: 'invalid_date' },
      { path: 'label', code: 'too_long' },
    ])
    // A one-day absence and a 366-day one are fine.
    addAbsence(doc, { practitionerId: prac, from: '2026-05-04', to: '2026-05-04' }, alice, clock)
    addAbsence(doc, { practitionerId: prac, from: '2028-01-01', to: '2028-12-31' }, alice, clock)
    expect(listAbsences(doc).items.map((a) => a.from)).toEqual(['2026-05-04', '2028-01-01'])
  })

  it('finds the absence covering a day, inclusive at both ends, for its practitioner only', () => {
    const doc = new Y.Doc()
    addAbsence(doc, { practitionerId: prac, from: '2026-12-21', to: '2026-12-24', label: 'Formation' }, alice, steppingClock())
    const list = listAbsences(doc).items
    expect(absenceOn(list, prac, '2026-12-20')).toBeUndefined()
    expect(absenceOn(list, prac, '2026-12-21')?.label).toBe('Formation')
    expect(absenceOn(list, prac, '2026-12-24')?.label).toBe('Formation')
    expect(absenceOn(list, newRecordId(), '2026-12-22')).toBeUndefined()
  })

  it('keeps both absences two offline devices added, and both field edits of one', () => {
    const a = new Y.Doc()
    const clock = steppingClock()
    const id = addAbsence(a, { practitionerId: prac, from: '2026-07-01', to: '2026-07-15' }, alice, clock)
    const b = fork(a)
    addAbsence(a, { practitionerId: prac, from: '2026-08-01', to: '2026-08-02' }, alice, clock)
    addAbsence(b, { practitionerId: prac, from: '2026-09-01', to: '2026-09-02' }, bob, clock)
    updateAbsence(a, id, { label: 'Congés' }, alice, clock)
    updateAbsence(b, id, { to: '2026-07-20' }, bob, clock)
    exchange(a, b)
    for (const doc of [a, b]) {
      expect(listAbsences(doc).items.map((x) => x.from)).toEqual(['2026-07-01', '2026-08-01', '2026-09-01'])
      expect(getAbsence(doc, id)).toMatchObject({ label: 'Congés', to: '2026-07-20' })
    }
  })
})
