/**
 * Birth dates in a patient search query, complete or still being typed. A person types a birth
 * date one key at a time — « 1 », « 12 », « 12/ », « 12/0 », « 12/03 », « 12/03/1 » … — and each
 * step should show the patients it could still mean, not « aucun patient ». Read with `/` only:
 * `.` and `-` also separate the digits of a phone number (« 06.12.34 »), so a partial « 12.0 »
 * stays a number; complete dates take any of the three.
 *
 *   12/03/1958, 12.03.1958, 12-03-1958, 1958-03-12   that exact date
 *   12/03, 12/3                                      that day and month, any year
 *   12/                                              born on the 12th          (incomplete)
 *   12/0, 12/1                                       the 12th of a month 0x / 1 or 1x (incomplete)
 *   12/03/                                           12 March, any year        (incomplete)
 *   12/03/1, 12/03/19, 12/03/195                     12 March of a year starting so; two digits
 *                                                    also read as the end of the year (« 58 »)
 *                                                    (incomplete)
 *
 * An incomplete date (`incomplete: true`) can still grow into a complete one: the list shows what
 * matches so far, and says nothing is found only once the date could be complete.
 */

export type DateToken = {
  readonly kind: 'date'
  readonly day?: number
  readonly month?: number
  /** A month typed in part: '0' (January to September) or '1' (January, October to December). */
  readonly monthPrefix?: string
  readonly year?: number
  /** A year typed in part: 1 to 3 digits. */
  readonly yearPrefix?: string
  readonly incomplete?: true
}

const FULL_DATE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DAY_MONTH = /^(\d{1,2})\/(\d{1,2})$/
const PARTIAL = /^(\d{1,2})\/(\d{0,2})(\/(\d{0,3}))?$/

const validDay = (day: number) => day >= 1 && day <= 31
const validMonth = (month: number) => month >= 1 && month <= 12

/** The date a piece of a query is, or null when it is not one (nor the start of one). */
export function dateToken(piece: string): DateToken | null {
  const full = FULL_DATE.exec(piece)
  if (full) return { kind: 'date', day: Number(full[1]), month: Number(full[2]), year: Number(full[3]) }
  const iso = ISO_DATE.exec(piece)
  if (iso) return { kind: 'date', year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]) }
  const partial = PARTIAL.exec(piece)
  if (!partial) return null
  const day = Number(partial[1])
  const month = partial[2] ?? ''
  const slashAfterMonth = partial[3] !== undefined
  const year = partial[4] ?? ''
  if (!validDay(day)) return null
  if (month === '') return slashAfterMonth ? null : { kind: 'date', day, incomplete: true }
  // '12/0' and '12/1' may be the start of a two-digit month; a month followed by '/' is whole.
  if (!slashAfterMonth && (month === '0' || month === '1')) return { kind: 'date', day, monthPrefix: month, incomplete: true }
  if (!validMonth(Number(month))) return null
  if (DAY_MONTH.test(piece)) return { kind: 'date', day, month: Number(month) }
  return year === ''
    ? { kind: 'date', day, month: Number(month), incomplete: true }
    : { kind: 'date', day, month: Number(month), yearPrefix: year, incomplete: true }
}

const pad = (value: number, width: number) => String(value).padStart(width, '0')

/** Whether a birth date matches a date token, complete or typed in part. */
export function birthDateMatches(birth: { readonly year: number; readonly month: number; readonly day: number }, token: DateToken): boolean {
  if (token.day !== undefined && token.day !== birth.day) return false
  if (token.month !== undefined && token.month !== birth.month) return false
  if (token.year !== undefined && token.year !== birth.year) return false
  const { monthPrefix, yearPrefix } = token
  if (monthPrefix !== undefined && !pad(birth.month, 2).startsWith(monthPrefix) && !String(birth.month).startsWith(monthPrefix)) return false
  if (yearPrefix !== undefined) {
    const year = pad(birth.year, 4)
    if (!year.startsWith(yearPrefix) && !(yearPrefix.length === 2 && year.endsWith(yearPrefix))) return false
  }
  return true
}
