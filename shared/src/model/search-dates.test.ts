import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { isIncompleteDate, searchPatients } from './patient-search'
import { addPatient } from './patients'
import { dateToken } from './search-dates'
import { alice, steppingClock } from './test-support'

describe('a birth date in a search, as it is typed', () => {
  it.each([
    ['12/', { day: 12, incomplete: true }],
    ['12/0', { day: 12, monthPrefix: '0', incomplete: true }],
    ['12/1', { day: 12, monthPrefix: '1', incomplete: true }],
    ['12/3', { day: 12, month: 3 }],
    ['12/03', { day: 12, month: 3 }],
    ['12/1/', { day: 12, month: 1, incomplete: true }],
    ['12/03/', { day: 12, month: 3, incomplete: true }],
    ['12/03/1', { day: 12, month: 3, yearPrefix: '1', incomplete: true }],
    ['12/03/195', { day: 12, month: 3, yearPrefix: '195', incomplete: true }],
    ['12/03/1958', { day: 12, month: 3, year: 1958 }],
    ['12.03.1958', { day: 12, month: 3, year: 1958 }],
    ['1958-03-12', { day: 12, month: 3, year: 1958 }],
  ])('%s', (piece, expected) => {
    expect(dateToken(piece)).toEqual({ kind: 'date', ...expected })
  })

  it.each(['45/', '0/', '12/13', '12/00', '12//', '12/03/19588', '12.0', '1958', 'lefevre'])('%s is no date, nor the start of one', (piece) => {
    expect(dateToken(piece)).toBeNull()
  })

  it('finds at each step the patients the date can still mean, and says « incomplete » until it could be whole', () => {
    const doc = new Y.Doc()
    const clock = steppingClock()
    const born = (birthDate: string, firstNames: string) => addPatient(doc, { birthName: 'Lefèvre', firstNames, birthDate }, alice, clock)
    born('1958-03-12', 'Zoé')
    born('1958-10-12', 'Octave')
    born('1990-03-12', 'Mars')
    born('1958-03-13', 'Treize')
    born('2019-03-12', 'Enfant')
    const found = (query: string) => searchPatients(doc, query).items.map((p) => p.firstNames).sort()
    const steps: [string, string[], boolean][] = [
      // The first keys are searched as a number (a phone, a NIR), and could be a day.
      ['1', [], true],
      ['12', [], true],
      ['32', [], false],
      ['12/', ['Enfant', 'Mars', 'Octave', 'Zoé'], true],
      ['12/0', ['Enfant', 'Mars', 'Zoé'], true],
      ['12/03', ['Enfant', 'Mars', 'Zoé'], false],
      ['12/03/', ['Enfant', 'Mars', 'Zoé'], true],
      ['12/03/1', ['Mars', 'Zoé'], true],
      ['12/03/19', ['Enfant', 'Mars', 'Zoé'], true],
      ['12/03/195', ['Zoé'], true],
      ['12/03/1958', ['Zoé'], false],
      ['12/1', ['Octave'], true],
      ['12/03/58', ['Zoé'], true],
      ['lefevre 12/03/19', ['Enfant', 'Mars', 'Zoé'], true],
      ['31/0', [], true],
      ['31/03/1958', [], false],
    ]
    for (const [query, names, incomplete] of steps) {
      expect(found(query), query).toEqual(names)
      expect(isIncompleteDate(query), query).toBe(incomplete)
    }
  })
})
