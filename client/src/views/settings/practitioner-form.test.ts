import { describe, expect, it } from 'vitest'
import { checkPractitionerForm } from './practitioner-form'

describe('practitioner form', () => {
  it('reads a practitioner, RPPS spaces removed, colour in lower case', () => {
    expect(checkPractitionerForm({ displayName: ' Hugo Marchetti ', profession: 'kine', rpps: '100 0123 4567', colour: '#0891B2' })).toEqual({
      ok: true,
      fields: { displayName: 'Hugo Marchetti', profession: 'kine', rpps: '10001234567', colour: '#0891b2' },
    })
  })

  it.each([
    ['no name', { displayName: '' }, 'displayName', { code: 'required' }],
    ['a name too long', { displayName: 'x'.repeat(101) }, 'displayName', { code: 'too_long', limit: 100 }],
    ['an unknown profession', { profession: 'dentiste' }, 'profession', { code: 'invalid_value' }],
    ['an RPPS of 10 digits', { rpps: '1000123456' }, 'rpps', { code: 'invalid_rpps' }],
  ])('names the field and the reason for %s', (_label, patch, field, issue) => {
    const values = { displayName: 'Hugo Marchetti', profession: 'kine', rpps: '', colour: '#0891b2', ...patch }
    expect(checkPractitionerForm(values)).toEqual({ ok: false, errors: { [field]: issue } })
  })
})
