import { describe, expect, it } from 'vitest'
import { checkPatientForm, formatNir, formatPhone } from './patient-form'

const empty = {
  birthName: '',
  usualName: '',
  firstNames: '',
  birthDate: '',
  phone: '',
  email: '',
  'address.line1': '',
  'address.postalCode': '',
  'address.city': '',
  'address.accessNotes': '',
  nir: '',
}

describe('patient form boundary', () => {
  it('accepts a patient with only the required names', () => {
    const checked = checkPatientForm({ ...empty, birthName: 'Dupont', firstNames: 'Jeanne' })
    expect(checked).toEqual({ ok: true, fields: expect.objectContaining({ birthName: 'Dupont', firstNames: 'Jeanne' }) })
    if (checked.ok) {
      expect(checked.fields.address).toBeUndefined()
      expect(checked.fields.phones).toBeUndefined()
    }
  })

  it('normalizes what people type', () => {
    const checked = checkPatientForm({
      ...empty,
      birthName: ' Dupont ',
      firstNames: 'Jeanne',
      phone: '06.12.34.56.78',
      nir: '1 84 12 76 451 089 46',
      'address.line1': '3 rue des Lilas',
      'address.postalCode': '69003',
      'address.city': 'Lyon',
    })
    expect(checked.ok).toBe(true)
    if (checked.ok) {
      expect(checked.fields.birthName).toBe('Dupont')
      expect(checked.fields.phones).toEqual(['0612345678'])
      expect(checked.fields.nir).toBe('184127645108946')
      expect(checked.fields.address).toEqual({ line1: '3 rue des Lilas', postalCode: '69003', city: 'Lyon' })
    }
  })

  it('reports each wrong field with its reason', () => {
    const checked = checkPatientForm({
      ...empty,
      firstNames: 'Jeanne',
      birthDate: '1984-02-30',
      phone: '12 34',
      email: 'jeanne@',
      nir: '1 84 12 76 451 089 47',
      'address.city': 'Lyon',
    })
    expect(checked).toEqual({
      ok: false,
      errors: {
        birthName: 'required',
        birthDate: 'invalid_date',
        phone: 'invalid_phone',
        email: 'invalid_email',
        nir: 'invalid_nir_key',
        'address.line1': 'required',
        'address.postalCode': 'required',
      },
    })
  })
})

describe('display formats', () => {
  it('groups French phone numbers by pairs', () => {
    expect(formatPhone('0612345678')).toBe('06 12 34 56 78')
    expect(formatPhone('+33612345678')).toBe('+33 6 12 34 56 78')
    expect(formatPhone('+4915112345678')).toBe('+4915112345678')
  })

  it('groups a NIR as on the carte Vitale', () => {
    expect(formatNir('184127645108946')).toBe('1 84 12 76 451 089 46')
    expect(formatNir('2842A76451089')).toBe('2842A76451089')
  })
})
