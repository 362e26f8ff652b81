import { describe, expect, it } from 'vitest'
import { checkKindForm } from './kind-form'

const HUGO = 'hugoMarchetti000000001'
const valid = { label: 'Drainage lymphatique', defaultDurationMin: '45', colour: '#7C3AED', offeredBy: 'all', practitionerIds: [] } as const

describe('appointment kind form', () => {
  it('reads a kind every practitioner offers', () => {
    expect(checkKindForm(valid)).toEqual({
      ok: true,
      fields: { label: 'Drainage lymphatique', defaultDurationMin: 45, colour: '#7c3aed' },
    })
  })

  it('keeps the practitioners ticked when only some offer it', () => {
    const checked = checkKindForm({ ...valid, offeredBy: 'some', practitionerIds: [HUGO] })
    expect(checked.ok && checked.fields.practitionerIds).toEqual([HUGO])
  })

  it.each([
    ['no name', { label: ' ' }, 'label', { code: 'required' }],
    ['a name too long', { label: 'x'.repeat(81) }, 'label', { code: 'too_long', limit: 80 }],
    ['a duration in words', { defaultDurationMin: '45 min' }, 'defaultDurationMin', { code: 'not_integer' }],
    ['no duration', { defaultDurationMin: '' }, 'defaultDurationMin', { code: 'required' }],
    ['a duration too short', { defaultDurationMin: '4' }, 'defaultDurationMin', { code: 'out_of_range', limit: 5 }],
    ['a duration over 12 hours', { defaultDurationMin: '721' }, 'defaultDurationMin', { code: 'out_of_range', limit: 720 }],
    ['no practitioner ticked', { offeredBy: 'some' as const, practitionerIds: [] }, 'practitionerIds', { code: 'too_short', limit: 1 }],
    ['a colour not written #rrggbb', { colour: 'violet' }, 'colour', { code: 'invalid_colour' }],
  ])('names the field and the reason for %s', (_label, patch, field, issue) => {
    expect(checkKindForm({ ...valid, ...patch })).toEqual({ ok: false, errors: { [field]: issue } })
  })
})
