import { describe, expect, it } from 'vitest'
import { checkPatientForm, formatNir, formatPhone, patientEditPatch, patientFormValues, refreshShownErrors } from './patient-form'
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
    expect(checked).toEqual({ ok: true, fields: expect.objectContaining({ birthName: 'Dupont', firstNames: 'Jeanne' }), warnings: [] })
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
        birthName: { code: 'required' },
        birthDate: { code: 'invalid_date' },
        phone: { code: 'invalid_phone' },
        email: { code: 'invalid_email' },
        nir: { code: 'invalid_nir_key' },
        'address.line1': { code: 'required' },
        'address.postalCode': { code: 'required' },
      },
      warnings: [],
    })
  })

  it('says the limit a name too long hit', () => {
    const checked = checkPatientForm({ ...empty, birthName: 'x'.repeat(101), firstNames: 'Jeanne' })
    expect(checked.ok === false && checked.errors).toEqual({ birthName: { code: 'too_long', limit: 100 } })
  })
})

describe('patient form: birth date and NIR', () => {
  const today = '2026-11-18'
  const lea = { ...empty, birthName: 'Martin', firstNames: 'Léa' }

  it.each([
    ['tomorrow', '2026-11-19', { code: 'birth_date_in_future' }],
    ['in 1800', '1800-01-01', { code: 'birth_date_too_old', limit: 130 }],
    ['in year 1', '0001-01-01', { code: 'birth_date_too_old', limit: 130 }],
    ['typed the French way (the field sends the model its ISO date)', '12/03/1958', { code: 'invalid_date' }],
  ])('refuses a birth date %s, saying why', (_name, birthDate, issue) => {
    const checked = checkPatientForm({ ...lea, birthDate }, { today })
    expect(checked.ok === false && checked.errors).toEqual({ birthDate: issue })
  })

  it('warns, without refusing, when a valid NIR disagrees with the sex or birth date', () => {
    // 2 55 08 14 168 025 38: a woman born in August 1955.
    const nir = '2 55 08 14 168 025 38'
    const agreeing = checkPatientForm({ ...lea, sex: 'F', birthDate: '1955-08-14', nir }, { today })
    expect(agreeing).toMatchObject({ ok: true, warnings: [] })
    const man = checkPatientForm({ ...lea, sex: 'M', birthDate: '1955-09-14', nir }, { today })
    expect(man).toMatchObject({ ok: true, warnings: ['sex', 'birth_month'] })
  })

  it('shows the error of the field just left, keeps the others quiet, and drops each error once fixed', () => {
    const now = { nir: { code: 'invalid_nir_key' }, birthName: { code: 'required' } } as const
    expect(refreshShownErrors({}, now, 'nir')).toEqual({ nir: { code: 'invalid_nir_key' } })
    expect(refreshShownErrors({ nir: { code: 'invalid_nir_key' } }, { birthName: { code: 'required' } }, null)).toEqual({})
    expect(refreshShownErrors({ nir: { code: 'invalid_nir' } }, now, null)).toEqual({ nir: { code: 'invalid_nir_key' } })
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
      warnings: [],
    })
  })

  it('puts an RPPS error on its field, and a missing doctor name on the name field', () => {
    const checked = checkPatientForm({ ...empty, birthName: 'Roux', firstNames: 'Lou', 'referringDoctor.rpps': '123' })
    expect(checked).toEqual({
      ok: false,
      errors: { 'referringDoctor.name': { code: 'required' }, 'referringDoctor.rpps': { code: 'invalid_rpps' } },
      warnings: [],
    })
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
