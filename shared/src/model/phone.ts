/**
 * Phone numbers as French patients give them: '06 12 34 56 78', '06.12.34.56.78', '+33 6 12 34 56 78',
 * '0033 6…'. Stored normalized: '0612345678' for French numbers written nationally, '+33612345678'
 * when written with the country code, and '+<E.164>' for foreign numbers (patients from across a
 * border), so that search and tel: links work on one form.
 */

const SEPARATORS = /[\s.\-()]/g

export function normalizePhone(text: string): string | undefined {
  let s = text.replace(SEPARATORS, '')
  if (s.startsWith('00')) s = `+${s.slice(2)}`
  // '+33 (0)6 …' is common on letterheads: the national 0 does not belong after the country code.
  if (s.startsWith('+330')) s = `+33${s.slice(4)}`
  if (/^0[1-9][0-9]{8}$/.test(s)) return s
  if (/^\+33[1-9][0-9]{8}$/.test(s)) return s
  // 9 to 15 digits: the shortest real foreign numbers (Luxembourg) have 9 with their country code.
  if (/^\+(?!33)[1-9][0-9]{8,14}$/.test(s)) return s
  return undefined
}

export function isPhone(text: string): boolean {
  return normalizePhone(text) !== undefined
}
