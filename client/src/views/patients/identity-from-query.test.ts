import { describe, expect, it } from 'vitest'
import { identityFromQuery } from './identity-from-query'

const TODAY = '2026-11-18'

describe('a new patient from what was typed in the search', () => {
  it.each([
    ['Dupont Jeanne', { birthName: 'Dupont', firstNames: 'Jeanne', birthDate: '', phone: '' }],
    ['dupont', { birthName: 'Dupont', firstNames: '', birthDate: '', phone: '' }],
    ['nguyen zoé-marie', { birthName: 'Nguyen', firstNames: 'Zoé-Marie', birthDate: '', phone: '' }],
    ['McAllister jean', { birthName: 'McAllister', firstNames: 'Jean', birthDate: '', phone: '' }],
    ['Martin Léa 12/03/58', { birthName: 'Martin', firstNames: 'Léa', birthDate: '1958-03-12', phone: '' }],
    ['06 12 34 56 78', { birthName: '', firstNames: '', birthDate: '', phone: '06 12 34 56 78' }],
    ['Roux 0612345678', { birthName: 'Roux', firstNames: '', birthDate: '', phone: '0612345678' }],
    ['  ', { birthName: '', firstNames: '', birthDate: '', phone: '' }],
    // Not a date of the calendar: left as words for the person to see and fix.
    ['Roux 31/02/1990', { birthName: 'Roux', firstNames: '31/02/1990', birthDate: '', phone: '' }],
  ])('%j', (query, identity) => {
    expect(identityFromQuery(query, TODAY)).toEqual(identity)
  })
})
