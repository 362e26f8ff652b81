import { describe, expect, it } from 'vitest'
import { isRpps, normalizeRpps } from './rpps'
import { validatePatientInput } from './validation'
import { ValidationError } from './validation-error'

describe('RPPS', () => {
  it.each([
    ['10003456789', true],
    ['100 0345 6789', true],
    ['1000345678', false],
    ['100034567890', false],
    ['1000345678A', false],
    ['', false],
  ])('isRpps(%j) is %s', (text, expected) => {
    expect(isRpps(text)).toBe(expected)
  })

  it('drops the spaces people copy from a prescription', () => {
    expect(normalizeRpps(' 100 0345 6789 ')).toBe('10003456789')
  })

  it("reports a wrong RPPS on the referring doctor's rpps field", () => {
    const input = { birthName: 'Roux', firstNames: 'Lou', referringDoctor: { name: 'Dr Petit', rpps: '1234' } }
    try {
      validatePatientInput(input)
      expect.unreachable('the RPPS has 4 digits')
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).issues).toEqual([expect.objectContaining({ path: 'referringDoctor.rpps', code: 'invalid_rpps' })])
    }
    const ok = validatePatientInput({ ...input, referringDoctor: { name: 'Dr Petit', rpps: '100 0345 6789' } })
    expect(ok.referringDoctor).toEqual({ name: 'Dr Petit', rpps: '10003456789' })
  })
})
