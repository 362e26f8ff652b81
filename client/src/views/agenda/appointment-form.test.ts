import { describe, expect, it } from 'vitest'
import { checkAppointmentForm, defaultKind, editorPatch } from './appointment-form'

const base = {
  start: '14:30',
  durationMin: '45',
  practitionerId: 'pr1',
  patientId: 'pa1',
  title: '',
  kindId: '',
  place: 'home',
  note: '',
}

describe('appointment form boundary', () => {
  it('builds an appointment on the shown day, in the practice time zone', () => {
    const checked = checkAppointmentForm(base, '2026-11-23', 'Europe/Paris')
    expect(checked).toEqual({
      ok: true,
      fields: expect.objectContaining({
        start: '2026-11-23T14:30',
        timeZone: 'Europe/Paris',
        durationMin: 45,
        practitionerId: 'pr1',
        patientId: 'pa1',
        place: 'home',
      }),
    })
  })

  it('asks for a title when there is no patient (a blocked slot)', () => {
    const checked = checkAppointmentForm({ ...base, patientId: '' }, '2026-11-23', 'Europe/Paris')
    expect(checked).toEqual({ ok: false, errors: { title: 'required' } })
    const block = checkAppointmentForm({ ...base, patientId: '', title: 'Réunion' }, '2026-11-23', 'Europe/Paris')
    expect(block.ok).toBe(true)
  })

  it('points at the start time and the duration when they are missing or wrong', () => {
    expect(checkAppointmentForm({ ...base, start: '', durationMin: '' }, '2026-11-23', 'Europe/Paris')).toEqual({
      ok: false,
      errors: { start: 'required', durationMin: 'required' },
    })
    expect(checkAppointmentForm({ ...base, durationMin: 'abc' }, '2026-11-23', 'Europe/Paris')).toEqual({
      ok: false,
      errors: { durationMin: 'not_integer' },
    })
    expect(checkAppointmentForm({ ...base, durationMin: '2' }, '2026-11-23', 'Europe/Paris')).toEqual({
      ok: false,
      errors: { durationMin: 'out_of_range' },
    })
  })
})

describe('appointment editor boundary', () => {
  it('takes the day from the date field, and points at it when it is wrong', () => {
    const moved = checkAppointmentForm({ ...base, date: '2026-12-01' }, '2026-11-23', 'Europe/Paris')
    expect(moved.ok && moved.fields.start).toBe('2026-12-01T14:30')
    expect(checkAppointmentForm({ ...base, date: '2026-02-30' }, '2026-11-23', 'Europe/Paris')).toEqual({
      ok: false,
      errors: { date: 'invalid_date' },
    })
  })

  it('keeps a home visit address override, and names its wrong field', () => {
    const address = { 'address.line1': '3 rue des Lilas', 'address.postalCode': '69003', 'address.city': 'Lyon', 'address.accessNotes': 'Code 1234B' }
    const home = checkAppointmentForm({ ...base, ...address }, '2026-11-23', 'Europe/Paris')
    expect(home.ok && home.fields.address).toEqual({ line1: '3 rue des Lilas', postalCode: '69003', city: 'Lyon', accessNotes: 'Code 1234B' })
    // Left empty, the patient's own address is used: no override stored.
    const plain = checkAppointmentForm({ ...base, 'address.line1': '', 'address.postalCode': '', 'address.city': '' }, '2026-11-23', 'Europe/Paris')
    expect(plain.ok && plain.fields.address).toBeUndefined()
    // At the practice, address fields are ignored.
    const practice = checkAppointmentForm({ ...base, ...address, place: 'practice' }, '2026-11-23', 'Europe/Paris')
    expect(practice.ok && practice.fields.address).toBeUndefined()
    expect(checkAppointmentForm({ ...base, ...address, 'address.postalCode': '6900' }, '2026-11-23', 'Europe/Paris')).toEqual({
      ok: false,
      errors: { 'address.postalCode': 'invalid_postal_code' },
    })
  })

  it('turns an edit into a patch that clears the fields left empty', () => {
    const checked = checkAppointmentForm({ ...base, patientId: '', title: 'Réunion', place: 'practice' }, '2026-11-23', 'Europe/Paris')
    expect(checked.ok).toBe(true)
    if (!checked.ok) return
    expect(editorPatch(checked.fields)).toEqual({
      start: '2026-11-23T14:30',
      durationMin: 45,
      practitionerId: 'pr1',
      patientId: null,
      kindId: null,
      title: 'Réunion',
      place: 'practice',
      address: null,
      note: null,
      prescriptionId: null,
    })
  })

  it('links an ordonnance only to an appointment with a patient', () => {
    const prescriptionId = 'presc00001'
    const withPatient = checkAppointmentForm({ ...base, patientId: 'pat0000001', prescriptionId }, '2026-11-23', 'Europe/Paris')
    expect(withPatient.ok && withPatient.fields.prescriptionId).toBe(prescriptionId)
    const block = checkAppointmentForm({ ...base, patientId: '', title: 'Réunion', prescriptionId }, '2026-11-23', 'Europe/Paris')
    expect(block.ok && block.fields.prescriptionId).toBeUndefined()
  })

  it('presets a new appointment to « Séance », else to the first kind', () => {
    const kind = (id: string, label: string) => ({ id, label, defaultDurationMin: 30, colour: '#2563eb', active: true, createdAt: 0, createdBy: { memberId: 'm', deviceId: 'd' }, updatedAt: 0, updatedBy: { memberId: 'm', deviceId: 'd' } })
    expect(defaultKind([kind('b', 'Bilan'), kind('s', 'séance')])?.id).toBe('s')
    expect(defaultKind([kind('b', 'Bilan')])?.id).toBe('b')
    expect(defaultKind([])).toBeUndefined()
  })
})
