import { describe, expect, it } from 'vitest'
import { checkPatientForm, formatNir, formatPhone, patientEditPatch, patientFormValues } from './patient-form'
import type { Patient } from '../../../../shared/src/model'

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
  'address.line2': '',
  'address.accessNotes': '',
  nir: '',
  sex: '',
  'referringDoctor.name': '',
  'referringDoctor.rpps': '',
  insurance: '',
  tags: '',
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

describe('patient form: new fields', () => {
  it('reads several phones and tags separated by commas, and the referring doctor', () => {
    const checked = checkPatientForm({
      ...empty,
      birthName: 'Roux',
      firstNames: 'Lou',
      sex: 'F',
      phone: '06 12 34 56 78, +33 1 45 67 89 01',
      tags: 'diabète, domicile, diabète',
      'referringDoctor.name': 'Dr Petit',
      'referringDoctor.rpps': '100 0345 6789',
      insurance: 'MGEN',
    })
    expect(checked).toEqual({
      ok: true,
      fields: expect.objectContaining({
        sex: 'F',
        phones: ['0612345678', '+33145678901'],
        tags: ['diabète', 'domicile'],
        referringDoctor: { name: 'Dr Petit', rpps: '10003456789' },
        insurance: 'MGEN',
      }),
    })
  })

  it('puts an RPPS error on its field, and a missing doctor name on the name field', () => {
    const checked = checkPatientForm({ ...empty, birthName: 'Roux', firstNames: 'Lou', 'referringDoctor.rpps': '123' })
    expect(checked).toEqual({ ok: false, errors: { 'referringDoctor.name': 'required', 'referringDoctor.rpps': 'invalid_rpps' } })
  })

  it('sends only the fields the user changed, clearing the ones emptied', () => {
    const stored = {
      id: 'p1',
      birthName: 'Roux',
      firstNames: 'Lou',
      phones: ['0612345678'],
      email: 'lou@example.fr',
      address: { line1: '3 rue des Lilas', postalCode: '69003', city: 'Lyon' },
      archived: false,
    } as unknown as Patient
    const initial = patientFormValues(stored)
    expect(initial.phone).toBe('06 12 34 56 78')
    const values = { ...initial, phone: '06 98 76 54 32', email: '' }
    const checked = checkPatientForm(values)
    if (!checked.ok) throw new Error('valid form')
    expect(patientEditPatch(initial, values, checked.fields)).toEqual({ phones: ['0698765432'], email: null })
    // Address untouched: not in the patch, so another device's address edit is not overwritten.
    expect(patientEditPatch(initial, initial, checked.fields)).toEqual({})
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
