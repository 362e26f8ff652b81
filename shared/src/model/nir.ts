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
 * computes it. Only format and key are checked for now; the calendar and INSEE codes are not.
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
