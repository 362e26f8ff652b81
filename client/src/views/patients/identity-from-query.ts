/**
 * What a person typed in a patient search, read as the start of a new patient's identity, so that
 * creating the patient from the agenda does not ask again for what is already there:
 *
 *   'Dupont Jeanne'          birth name Dupont, first names Jeanne (the agenda's order)
 *   'dupont'                 birth name Dupont (all lower case: the first letter raised)
 *   'Martin Léa 12/03/58'    and the birth date 1958-03-12 (two-digit years in the past)
 *   '06 12 34 56 78'         the phone
 *
 * The first word goes to the birth name and the others to the first names: a compound name
 * ('Le Goff Anne') comes out split in the wrong place, and the person, who sees both fields
 * filled in, moves the word.
 */
import { isPhone } from '../../../../shared/src/model'
import { parseDateText } from '../form/french-date-input'

export type QueryIdentity = { birthName: string; firstNames: string; birthDate: string; phone: string }

function capitalised(word: string): string {
  if (word !== word.toLowerCase()) return word
  return word.replace(/(^|[-'’])(\p{L})/gu, (_, before: string, letter: string) => before + letter.toUpperCase())
}

export function identityFromQuery(query: string, today: string): QueryIdentity {
  const identity: QueryIdentity = { birthName: '', firstNames: '', birthDate: '', phone: '' }
  let rest = query.trim()
  // A phone number, however written: digits, spaces, dots, a leading +.
  const phone = /(?:\+|\b0)[\d .-]{8,}\d/.exec(rest)
  if (phone && isPhone(phone[0])) {
    identity.phone = phone[0].trim()
    rest = rest.replace(phone[0], ' ')
  }
  const date = /\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b/.exec(rest)
  if (date) {
    const parsed = parseDateText(date[0], { mode: 'past', reference: today })
    if (parsed.kind === 'date') {
      identity.birthDate = parsed.date
      rest = rest.replace(date[0], ' ')
    }
  }
  const words = rest.split(/\s+/).filter(Boolean).map(capitalised)
  identity.birthName = words[0] ?? ''
  identity.firstNames = words.slice(1).join(' ')
  return identity
}
