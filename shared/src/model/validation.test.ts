import { describe, expect, it } from 'vitest'
import { issuesOf } from './test-support/issues-of'
import {
  ValidationError,
  dropBlanks,
  validateAppointmentInput,
  validateNoteInput,
  validatePatientInput,
  validatePracticeInit,
  validatePractitionerInput,
  validatePrescriptionInput,
} from './validation'

const VALID_NIR = '255081416802538'
const patient = { birthName: 'Martin', firstNames: 'Léa' }
const appointment = { start: '2026-11-23T14:30', durationMin: 30, practitionerId: 'prac1', patientId: 'pat1' }

describe('patient input', () => {
  it('accepts a complete patient and normalizes it', () => {
    expect(
      validatePatientInput({
        ...patient,
        usualName: ' Dupont ',
        sex: 'F',
        birthDate: '1984-12-03',
        nir: '2 55 08 14 168 025 38',
        phones: ['06 12 34 56 78', '+33 1 23 45 67 89'],
        email: 'lea.martin@example.fr',
        address: { line1: '3 rue des Lilas', postalCode: '75011', city: 'Paris', accessNotes: 'Code 4512B' },
      }),
    ).toEqual({
      ...patient,
      usualName: 'Dupont',
      sex: 'F',
      birthDate: '1984-12-03',
      nir: VALID_NIR,
      phones: ['0612345678', '+33123456789'],
      email: 'lea.martin@example.fr',
      address: { line1: '3 rue des Lilas', postalCode: '75011', city: 'Paris', accessNotes: 'Code 4512B' },
    })
  })

  it('treats blank form fields as absent', () => {
    expect(
      validatePatientInput({ ...patient, usualName: '  ', nir: '', phones: ['', ' '], address: { line1: '', city: '' } }),
    ).toEqual({ ...patient, phones: [] })
  })

  it.each([
    ['missing birth name', { firstNames: 'Léa' }, 'birthName', 'required'],
    ['blank birth name', { ...patient, birthName: '   ' }, 'birthName', 'required'],
    ['birth name too long', { ...patient, birthName: 'x'.repeat(101) }, 'birthName', 'too_long'],
    ['first names not text', { ...patient, firstNames: 42 }, 'firstNames', 'invalid_type'],
    ['unknown sex', { ...patient, sex: 'W' }, 'sex', 'invalid_value'],
    ['impossible birth date', { ...patient, birthDate: '2026-02-30' }, 'birthDate', 'invalid_date'],
    ['French birth date', { ...patient, birthDate: '03/12/1984' }, 'birthDate', 'invalid_date'],
    ['short NIR', { ...patient, nir: '25508141680253' }, 'nir', 'invalid_nir'],
    ['NIR typo', { ...patient, nir: '255081416802539' }, 'nir', 'invalid_nir_key'],
    ['bad phone', { ...patient, phones: ['0612345678', '06 12'] }, 'phones.1', 'invalid_phone'],
    ['too many phones', { ...patient, phones: Array(6).fill('0612345678') }, 'phones', 'too_many'],
    ['bad e-mail', { ...patient, email: 'lea@' }, 'email', 'invalid_email'],
    [
      'bad postal code',
      { ...patient, address: { line1: '1 rue', postalCode: '7501', city: 'Paris' } },
      'address.postalCode',
      'invalid_postal_code',
    ],
    ['address without city', { ...patient, address: { line1: '1 rue', postalCode: '75011' } }, 'address.city', 'required'],
  ])('%s → %s %s', (_name, input, path, code) => {
    expect(issuesOf(() => validatePatientInput(input))).toContainEqual({ path, code })
  })

  it('reports every failing field at once, in the form of a ValidationError', () => {
    const run = () => validatePatientInput({ birthName: '', firstNames: '', email: 'x' })
    expect(run).toThrow(ValidationError)
    expect(issuesOf(run)).toEqual([
      { path: 'birthName', code: 'required' },
      { path: 'firstNames', code: 'required' },
      { path: 'email', code: 'invalid_email' },
    ])
  })

  it('refuses a value that is not an object', () => {
    expect(issuesOf(() => validatePatientInput('Martin'))).toEqual([{ path: '', code: 'invalid_type' }])
  })

  it('says which limit a text, a list or a number hit', () => {
    const limits = (run: () => unknown) => {
      try {
        run()
      } catch (error) {
        if (error instanceof ValidationError) return error.issues.map(({ path, code, limit }) => ({ path, code, limit }))
      }
      throw new Error('expected a ValidationError')
    }
    expect(limits(() => validatePatientInput({ ...patient, birthName: 'x'.repeat(101), phones: Array(6).fill('0612345678') }))).toEqual([
      { path: 'birthName', code: 'too_long', limit: 100 },
      { path: 'phones', code: 'too_many', limit: 5 },
    ])
    expect(limits(() => validateAppointmentInput({ ...appointment, cancelReason: 'x'.repeat(201), durationMin: 721 }))).toEqual([
      { path: 'durationMin', code: 'out_of_range', limit: 720 },
      { path: 'cancelReason', code: 'too_long', limit: 200 },
    ])
    // 'required' is not a limit, even though it is a minimum length of 1 underneath.
    expect(limits(() => validatePatientInput({ ...patient, birthName: '' }))).toEqual([{ path: 'birthName', code: 'required', limit: undefined }])
  })
})

describe('patient birth date against today', () => {
  const today = '2026-11-18'

  it.each([
    ['tomorrow', '2026-11-19', 'birth_date_in_future'],
    ['in 2090', '2090-05-05', 'birth_date_in_future'],
    ['in 1800', '1800-01-01', 'birth_date_too_old'],
    ['in year 1, never read as 1901', '0001-01-01', 'birth_date_too_old'],
  ])('refuses a birth date %s', (_name, birthDate, code) => {
    expect(issuesOf(() => validatePatientInput({ ...patient, birthDate }, { today }))).toEqual([{ path: 'birthDate', code }])
  })

  it('accepts today and 130 years ago to the day, and judges nothing without today', () => {
    expect(validatePatientInput({ ...patient, birthDate: today }, { today }).birthDate).toBe(today)
    expect(validatePatientInput({ ...patient, birthDate: '1896-11-18' }, { today }).birthDate).toBe('1896-11-18')
    expect(validatePatientInput({ ...patient, birthDate: '1800-01-01' }).birthDate).toBe('1800-01-01')
  })

  it('reports an implausible birth date with the other issues, and a calendar error only once', () => {
    expect(issuesOf(() => validatePatientInput({ birthName: '', firstNames: 'Léa', birthDate: '2090-05-05' }, { today }))).toEqual([
      { path: 'birthName', code: 'required' },
      { path: 'birthDate', code: 'birth_date_in_future' },
    ])
    expect(issuesOf(() => validatePatientInput({ ...patient, birthDate: '2090-02-30' }, { today }))).toEqual([
      { path: 'birthDate', code: 'invalid_date' },
    ])
  })
})

describe('appointment input', () => {
  it('accepts a block without patient when it has a title', () => {
    expect(validateAppointmentInput({ start: '2026-11-23T12:00', durationMin: 60, practitionerId: 'p', title: 'Déjeuner' }))
      .toMatchObject({ title: 'Déjeuner' })
  })

  it.each([
    ['start date', { ...appointment, start: '2026-11-31T14:30' }, 'start', 'invalid_date'],
    ['start time', { ...appointment, start: '2026-11-23T25:00' }, 'start', 'invalid_time'],
    ['missing start', { ...appointment, start: undefined }, 'start', 'required'],
    ['duration too short', { ...appointment, durationMin: 4 }, 'durationMin', 'out_of_range'],
    ['duration too long', { ...appointment, durationMin: 721 }, 'durationMin', 'out_of_range'],
    ['fractional duration', { ...appointment, durationMin: 30.5 }, 'durationMin', 'not_integer'],
    ['duration as text', { ...appointment, durationMin: '30' }, 'durationMin', 'invalid_type'],
    ['no practitioner', { ...appointment, practitionerId: '' }, 'practitionerId', 'required'],
    ['bad practitioner id', { ...appointment, practitionerId: 'a b' }, 'practitionerId', 'invalid_id'],
    ['block without title', { ...appointment, patientId: undefined }, 'title', 'required'],
    ['unknown status', { ...appointment, status: 'pending' }, 'status', 'invalid_value'],
    ['unknown place', { ...appointment, place: 'car' }, 'place', 'invalid_value'],
    ['bad time zone', { ...appointment, timeZone: 'Europe/Lutece' }, 'timeZone', 'invalid_time_zone'],
    [
      'home visit address',
      { ...appointment, place: 'home', address: { line1: '1 rue', postalCode: 'ABCDE', city: 'Lyon' } },
      'address.postalCode',
      'invalid_postal_code',
    ],
  ])('%s → %s %s', (_name, input, path, code) => {
    expect(issuesOf(() => validateAppointmentInput(input))).toContainEqual({ path, code })
  })
})

describe('other inputs', () => {
  it.each([
    ['practitioner profession', () => validatePractitionerInput({ displayName: 'A', profession: 'dentiste' }), 'profession', 'invalid_value'],
    ['practitioner RPPS', () => validatePractitionerInput({ displayName: 'A', profession: 'kine', rpps: '123' }), 'rpps', 'invalid_rpps'],
    ['practitioner colour', () => validatePractitionerInput({ displayName: 'A', profession: 'kine', colour: 'red' }), 'colour', 'invalid_colour'],
    [
      'first practitioner name',
      () => validatePracticeInit({ name: 'Cabinet', firstPractitioner: { displayName: '', profession: 'kine' } }),
      'firstPractitioner.displayName',
      'required',
    ],
    ['practice name', () => validatePracticeInit({ name: '', firstPractitioner: { displayName: 'A', profession: 'kine' } }), 'name', 'required'],
    ['note date', () => validateNoteInput({ date: '2026-11', kind: 'session' }), 'date', 'invalid_date'],
    ['note kind', () => validateNoteInput({ date: '2026-11-23', kind: 'letter' }), 'kind', 'invalid_value'],
    [
      'prescription sessions',
      () => validatePrescriptionInput({ prescriberName: 'Dr B', date: '2026-11-02', indication: 'Lombalgie', sessionsPrescribed: 0 }),
      'sessionsPrescribed',
      'out_of_range',
    ],
    ['prescription indication', () => validatePrescriptionInput({ prescriberName: 'Dr B', date: '2026-11-02' }), 'indication', 'required'],
  ])('%s → %s %s', (_name, run, path, code) => {
    expect(issuesOf(run)).toContainEqual({ path, code })
  })

  it('keeps note text exactly as typed', () => {
    expect(validateNoteInput({ date: '2026-11-23', kind: 'session', text: '  indented\n\n' }).text).toBe('  indented\n\n')
  })
})

describe('dropBlanks', () => {
  it('removes blank strings, blank array items and emptied objects', () => {
    expect(dropBlanks({ a: '', b: ' x ', c: ['', 'y'], d: { e: ' ' }, f: null, g: 0, h: false })).toEqual({
      b: ' x ',
      c: ['y'],
      g: 0,
      h: false,
    })
  })
})
