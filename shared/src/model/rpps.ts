/**
 * RPPS (Répertoire partagé des professionnels de santé) numbers: 11 digits. Only the format is
 * checked: whether the last digit is a Luhn key for every RPPS number is not something this code
 * can rely on, and refusing a real prescriber's number would be worse than accepting a typo.
 */

/** Spaces as people copy them from a prescription are dropped. */
export function normalizeRpps(text: string): string {
  return text.replace(/\s/g, '')
}

export function isRpps(text: string): boolean {
  return /^[0-9]{11}$/.test(normalizeRpps(text))
}
