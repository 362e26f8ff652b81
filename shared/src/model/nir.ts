/**
 * NIR (numéro de sécurité sociale): 13 characters + a 2-digit key, 15 in all.
 *
 *   1 84 12 76 451 089 46
 *   │ │  │  │  │   │   └ key = 97 − (first 13 digits mod 97)
 *   │ │  │  │  │   └ birth certificate number
 *   │ │  │  │  └ commune
 *   │ │  │  └ department (2A / 2B for Corsica)
 *   │ │  └ month
 *   │ └ year
 *   └ sex
 *
 * Corsica's letters are replaced before the modulo (2A → 19, 2B → 18), as the Assurance Maladie
 * computes it. Format and key are checked here (an error: the number is wrong); `nirMismatches`
 * compares it with the person's sex and birth date (a warning: the number may be right and the
 * other field wrong, or the NIR a special one). INSEE commune codes are not checked.
 */

export type NirCheck = 'ok' | 'invalid_nir' | 'invalid_nir_key'

const NIR_PATTERN = /^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$/

/** Spaces, dots and dashes as people type them are dropped; letters upper-cased. */
export function normalizeNir(text: string): string {
  return text.replace(/[\s.-]/g, '').toUpperCase()
}

export function nirKey(first13: string): number {
  const digits = first13.slice(0, 5) + first13.slice(5, 7).replace('2A', '19').replace('2B', '18') + first13.slice(7)
  // 13 digits < 2^53: exact in a double, no BigInt needed.
  return 97 - (Number(digits) % 97)
}

export function checkNir(text: string): NirCheck {
  const nir = normalizeNir(text)
  if (!NIR_PATTERN.test(nir)) return 'invalid_nir'
  return nirKey(nir.slice(0, 13)) === Number(nir.slice(13)) ? 'ok' : 'invalid_nir_key'
}

/** What a NIR says that the person's other fields contradict. */
export type NirMismatch = 'sex' | 'birth_year' | 'birth_month'

export const NIR_MISMATCHES: readonly NirMismatch[] = ['sex', 'birth_year', 'birth_month']

/**
 * Where a well-formed NIR disagrees with the sex and birth date typed beside it. Only what the
 * NIR states is compared: its first digit is 1 (or 3, 7: men, including people born abroad and
 * temporary numbers) or 2 (4, 8: women); then the birth year's last two digits; then the birth
 * month, unless it is 20 or above (unknown month, or numbers issued to people born abroad whose
 * birth month was not recorded), when nothing is said. Sex 'X' or 'U', an absent birth date, or a
 * malformed NIR (that is `checkNir`'s error) give no mismatch.
 */
export function nirMismatches(text: string, person: { sex?: string | undefined; birthDate?: string | undefined }): NirMismatch[] {
  const nir = normalizeNir(text)
  if (checkNir(nir) !== 'ok') return []
  const found: NirMismatch[] = []
  const sexDigit = nir[0] ?? ''
  const nirSex = '137'.includes(sexDigit) ? 'M' : '248'.includes(sexDigit) ? 'F' : null
  if (nirSex !== null && (person.sex === 'M' || person.sex === 'F') && person.sex !== nirSex) found.push('sex')
  const birth = person.birthDate !== undefined ? /^(\d{4})-(\d{2})-\d{2}$/.exec(person.birthDate) : null
  if (birth) {
    if (nir.slice(1, 3) !== (birth[1] ?? '').slice(2)) found.push('birth_year')
    const month = Number(nir.slice(3, 5))
    if (month >= 1 && month <= 12 && nir.slice(3, 5) !== birth[2]) found.push('birth_month')
  }
  return found
}
