/**
 * The name a block shows in the width it has. A week of three practitioners at 1024 px gives a
 * column about 44 px: « Dupont Jeanne » does not fit, and a name cut by an ellipsis (« Dup… »)
 * reads as nobody. So a block shows the longest of these that fits whole, and always the full
 * name in its accessible name and its detail:
 *
 *   'Dupont Jeanne'  →  'Dupont J.'  →  'Dupont'  →  'DJ'  →  'D'
 *
 * The widths come from a `measure` function (a canvas' measureText in the browser, a fixed-width
 * stand-in in tests), so the choice is pure.
 */

/** The shorter forms of a "Family First" display name, longest first (each once). */
export function nameVariants(family: string, first: string): string[] {
  const familyName = family.trim()
  const firstName = first.trim()
  const initial = (word: string) => word.charAt(0).toLocaleUpperCase('fr')
  const variants = [
    firstName ? `${familyName} ${firstName}` : familyName,
    firstName ? `${familyName} ${initial(firstName)}.` : familyName,
    familyName,
    `${initial(familyName)}${firstName ? initial(firstName) : ''}`,
    initial(familyName),
  ]
  return variants.filter((v, i) => v !== '' && variants.indexOf(v) === i)
}

/** A title's (or a practitioner's) shorter forms: whole, first word, initials of its words. */
export function textVariants(text: string): string[] {
  const words = text.trim().split(/\s+/).filter(Boolean)
  const variants = [words.join(' '), words[0] ?? '', words.map((w) => w.charAt(0).toLocaleUpperCase('fr')).join('').slice(0, 3)]
  return variants.filter((v, i) => v !== '' && variants.indexOf(v) === i)
}

/** The first variant whose width fits `available` px; the last (shortest) when none does. */
export function pickLabel(variants: readonly string[], available: number, measure: (text: string) => number): string {
  for (const variant of variants) if (measure(variant) <= available) return variant
  return variants[variants.length - 1] ?? ''
}
