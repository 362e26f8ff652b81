import { describe, expect, it } from 'vitest'
import { ValidationError, validatePatientInput } from '../../../../shared/src/model'
import type { ValidationIssue } from '../../../../shared/src/model'
import { fieldsByPath, placeIssues } from './field-errors'

function issuesOf(run: () => unknown): ValidationIssue[] {
  try {
    run()
  } catch (error) {
    if (error instanceof ValidationError) return error.issues
    throw error
  }
  throw new Error('expected a ValidationError')
}

const PATIENT_FIELDS = ['birthName', 'firstNames', 'address.line1', 'address.postalCode', 'nir', 'phone'] as const

describe('placing validation issues on form fields', () => {
  const fieldOf = fieldsByPath(PATIENT_FIELDS, { phones: 'phone' })

  it('maps nested paths and aliases to fields', () => {
    expect(fieldOf('address.postalCode')).toBe('address.postalCode')
    expect(fieldOf('phones.0')).toBe('phone')
    expect(fieldOf('birthName')).toBe('birthName')
    expect(fieldOf('sex')).toBeNull()
    expect(fieldOf('')).toBeNull()
  })

  it("puts the model's issues next to the fields that caused them", () => {
    const issues = issuesOf(() =>
      validatePatientInput({
        birthName: '',
        firstNames: 'Jeanne',
        nir: '1 84 12 76 451 089 47',
        phones: ['12'],
        address: { city: 'Lyon', postalCode: '690' },
      }),
    )
    const { fields, unplaced } = placeIssues(issues, fieldOf)
    expect(fields).toEqual({
      birthName: 'required',
      nir: 'invalid_nir_key',
      phone: 'invalid_phone',
      'address.line1': 'required',
      'address.postalCode': 'invalid_postal_code',
    })
    expect(unplaced).toEqual([])
  })

  it('keeps the first issue of a field and returns the ones it cannot place', () => {
    const { fields, unplaced } = placeIssues(
      [
        { path: 'nir', code: 'invalid_nir', message: '' },
        { path: 'nir', code: 'invalid_nir_key', message: '' },
        { path: 'sex', code: 'invalid_value', message: '' },
      ],
      fieldOf,
    )
    expect(fields).toEqual({ nir: 'invalid_nir' })
    expect(unplaced.map((i) => i.path)).toEqual(['sex'])
  })
})
