import { describe, expect, it } from 'vitest'
import { checkPrescriptionForm } from './prescription-form'

const valid = { prescriberName: 'Dr Martin', prescriberRpps: '10 0012 3456 7', date: '2026-11-02', indication: 'Lombalgie', sessionsPrescribed: '10' }

describe('checkPrescriptionForm', () => {
  it('accepts a complete ordonnance, RPPS spaces removed, sessions as a number', () => {
    expect(checkPrescriptionForm(valid)).toEqual({
      ok: true,
      fields: { prescriberName: 'Dr Martin', prescriberRpps: '10001234567', date: '2026-11-02', indication: 'Lombalgie', sessionsPrescribed: 10 },
    })
  })

  it('accepts an ordonnance that states no number of sessions and no RPPS', () => {
    const checked = checkPrescriptionForm({ ...valid, prescriberRpps: '', sessionsPrescribed: ' ' })
    expect(checked.ok && checked.fields.sessionsPrescribed).toBeUndefined()
  })

  it.each([
    ['an RPPS of 10 digits', { prescriberRpps: '1234567890' }, 'prescriberRpps', 'invalid_rpps'],
    ['sessions in words', { sessionsPrescribed: 'dix' }, 'sessionsPrescribed', 'not_integer'],
    ['half a session', { sessionsPrescribed: '2,5' }, 'sessionsPrescribed', 'not_integer'],
    ['zero sessions', { sessionsPrescribed: '0' }, 'sessionsPrescribed', 'out_of_range'],
    ['no prescriber', { prescriberName: '  ' }, 'prescriberName', 'required'],
    ['no date', { date: '' }, 'date', 'required'],
    ['an impossible date', { date: '2026-02-30' }, 'date', 'invalid_date'],
    ['no indication', { indication: '' }, 'indication', 'required'],
  ])('names the field and why for %s', (_label, patch, field, code) => {
    const checked = checkPrescriptionForm({ ...valid, ...patch })
    expect(checked.ok).toBe(false)
    if (!checked.ok) expect(checked.errors).toEqual({ [field]: expect.objectContaining({ code }) })
  })

  it('says the limit an indication too long hit', () => {
    const checked = checkPrescriptionForm({ ...valid, indication: 'x'.repeat(1001) })
    expect(checked).toEqual({ ok: false, errors: { indication: { code: 'too_long', limit: 1000 } } })
  })
})
