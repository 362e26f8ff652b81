import { describe, expect, it } from 'vitest'
import { checkNir, nirKey, nirMismatches, normalizeNir } from './nir'
import { normalizePhone } from './phone'

describe('NIR', () => {
  it('computes the key as 97 − (13 digits mod 97)', () => {
    expect(nirKey('1841276451089')).toBe(97 - (1841276451089 % 97))
  })

  it.each([
    // [nir, expected]: keys computed by hand from the rule.
    ['1 84 12 76 451 089 ' + String(97 - (1841276451089 % 97)).padStart(2, '0'), 'ok'],
    ['2 90 05 2A 004 012 ' + String(97 - (2900519004012 % 97)).padStart(2, '0'), 'ok'],
    ['1 75 03 2B 033 005 ' + String(97 - (1750318033005 % 97)).padStart(2, '0'), 'ok'],
    ['2900519004012' + String(97 - (2900519004012 % 97)).padStart(2, '0'), 'ok'],
    ['18412764510890', 'invalid_nir'],
    ['1841276451089001', 'invalid_nir'],
    ['1841276X5108946', 'invalid_nir'],
    ['18412764510890' + '0', 'invalid_nir_key'],
  ])('checkNir(%j) is %s', (nir, expected) => {
    expect(checkNir(nir)).toBe(expected)
  })

  it('treats Corsica as 19 (2A) and 18 (2B), so a key computed the other way fails', () => {
    const a = 2900519004012
    const asIf2B = String(97 - (2900518004012 % 97)).padStart(2, '0')
    expect(checkNir(`29005 2A 004012 ${String(97 - (a % 97)).padStart(2, '0')}`)).toBe('ok')
    expect(checkNir(`290052A004012${asIf2B}`)).toBe('invalid_nir_key')
  })

  it('a known valid NIR passes and its typo fails', () => {
    // 2 55 08 14 168 025 with key 38, the example used in Assurance Maladie documentation.
    expect(checkNir('2 55 08 14 168 025 38')).toBe('ok')
    expect(checkNir('2 55 08 14 168 026 38')).toBe('invalid_nir_key')
  })

  it('accepts a person born abroad (department 99, then the country code) with its key', () => {
    // 1 85 05 99 352 123: a man born in May 1985 in Algeria (country 352).
    const key = String(97 - (1850599352123 % 97)).padStart(2, '0')
    expect(checkNir(`1 85 05 99 352 123 ${key}`)).toBe('ok')
    const wrong = String((Number(key) % 97) + 1).padStart(2, '0')
    expect(checkNir(`1 85 05 99 352 123 ${wrong}`)).toBe('invalid_nir_key')
  })

  it('normalizes spaces and case', () => {
    expect(normalizeNir(' 2 90 05 2a 004 012 34 ')).toBe('290052A00401234')
  })
})

describe('phones', () => {
  it.each([
    ['06 12 34 56 78', '0612345678'],
    ['06.12.34.56.78', '0612345678'],
    ['0612345678', '0612345678'],
    ['+33 6 12 34 56 78', '+33612345678'],
    ['+33 (0)6 12 34 56 78', '+33612345678'],
    ['0033 6 12 34 56 78', '+33612345678'],
    ['+32 470 12 34 56', '+32470123456'],
  ])('normalizePhone(%j) is %j', (input, output) => {
    expect(normalizePhone(input)).toBe(output)
  })

  it.each(['06 12 34 56', '6 12 34 56 78', '00 12 34 56 78', '+33 06 12 34 56 7', 'abc', '+33 6 12 34 56 78 9'])(
    'refuses %j',
    (input) => {
      expect(normalizePhone(input)).toBeUndefined()
    },
  )
})

describe('NIR against the sex and birth date typed beside it', () => {
  // 2 55 08 14 168 025 38: a woman born in August 1955.
  const WOMAN_AUG_1955 = '2 55 08 14 168 025 38'
  const withKey = (first13: string) => first13 + String(nirKey(first13)).padStart(2, '0')

  it.each([
    ['agrees', WOMAN_AUG_1955, { sex: 'F', birthDate: '1955-08-14' }, []],
    ['another sex', WOMAN_AUG_1955, { sex: 'M', birthDate: '1955-08-14' }, ['sex']],
    ['another year', WOMAN_AUG_1955, { sex: 'F', birthDate: '1956-08-14' }, ['birth_year']],
    ['another month', WOMAN_AUG_1955, { sex: 'F', birthDate: '1955-09-14' }, ['birth_month']],
    ['everything differs', WOMAN_AUG_1955, { sex: 'M', birthDate: '1984-12-03' }, ['sex', 'birth_year', 'birth_month']],
    ['the same two digits a century apart', WOMAN_AUG_1955, { sex: 'F', birthDate: '2055-08-01' }, []],
    ['sex unknown or other: not compared', WOMAN_AUG_1955, { sex: 'X', birthDate: '1955-08-14' }, []],
    ['nothing typed beside it', WOMAN_AUG_1955, {}, []],
    ['no birth date: only the sex', WOMAN_AUG_1955, { sex: 'M' }, ['sex']],
    // Month 20 and above: unknown month (or a number given to someone born abroad) — not compared.
    ['unknown birth month', withKey('1842099352123'), { sex: 'M', birthDate: '1984-06-01' }, []],
    // 3, 4, 7, 8: people born abroad and temporary numbers keep odd = man, even = woman.
    ['temporary number of a man', withKey('7840699352123'), { sex: 'M', birthDate: '1984-06-01' }, []],
    ['temporary number of a man, typed as a woman', withKey('7840699352123'), { sex: 'F', birthDate: '1984-06-01' }, ['sex']],
    // A malformed NIR or a wrong key is checkNir's error, not a mismatch.
    ['wrong key', '2 55 08 14 168 025 39', { sex: 'M', birthDate: '1984-12-03' }, []],
    ['too short', '2 55 08', { sex: 'M' }, []],
  ])('%s', (_name, nir, person, expected) => {
    expect(nirMismatches(nir, person)).toEqual(expected)
  })
})
