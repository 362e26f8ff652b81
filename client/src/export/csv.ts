/**
 * CSV as a French spreadsheet opens it directly (Excel, LibreOffice with their French defaults):
 *
 *   \uFEFFNom;Prénom;Date de naissance\r\n
 *   Dupont;"Jean; dit ""Jeannot""";12/03/1958\r\n
 *
 * - UTF-8 with a byte-order mark: without it Excel reads the bytes as Windows-1252 and « é » comes
 *   out as « Ã© ».
 * - `;` between fields: the comma is the decimal separator in French, so French Excel splits on `;`.
 * - RFC 4180 quoting: a field holding `;`, `"`, a line break or outer spaces is quoted, and its
 *   quotes doubled; CRLF between records.
 * - Dates as dd/mm/yyyy, times as HH:MM: what the French locale shows and re-reads as a date.
 * - A field that a spreadsheet would run as a formula (starting with `=`, `@`, a tab or a carriage
 *   return) is prefixed with `'` (OWASP "CSV injection"): a patient's name never runs anything.
 *   `+` and `-` are left alone, since phone numbers (`+33 6…`) start with them.
 */
import { datePart, isLocalDate, isLocalDateTime, timePart } from '../../../shared/src/model/dates'

export const CSV_BOM = '\uFEFF'
export const CSV_SEPARATOR = ';'
export const CSV_LINE_END = '\r\n'

/** A cell: text, a number, or nothing (an empty field). */
export type CsvCell = string | number | undefined | null

const NEEDS_QUOTES = /[;"\r\n]|^\s|\s$/
const FORMULA_START = /^[=@\t\r]/

export function csvField(value: CsvCell): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value).replace('.', ',') : ''
  const safe = FORMULA_START.test(value) ? `'${value}` : value
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

/** One record, line end included. */
export function csvRow(cells: readonly CsvCell[]): string {
  return cells.map(csvField).join(CSV_SEPARATOR) + CSV_LINE_END
}

/** The first line of a file: the BOM, then the header row. */
export function csvHeader(columns: readonly string[]): string {
  return CSV_BOM + csvRow(columns)
}

export class CsvDateError extends Error {
  override name = 'CsvDateError'
}

/** '2026-03-29' → '29/03/2026'. */
export function frenchDate(localDate: string): string {
  if (!isLocalDate(localDate)) throw new CsvDateError(`Not a local date YYYY-MM-DD: "${localDate}"`)
  const [y, m, d] = localDate.split('-')
  return `${d}/${m}/${y}`
}

/** '2026-03-29T09:05' → { date: '29/03/2026', time: '09:05' }. */
export function frenchDateTime(localDateTime: string): { date: string; time: string } {
  if (!isLocalDateTime(localDateTime)) throw new CsvDateError(`Not a local date-time YYYY-MM-DDTHH:MM: "${localDateTime}"`)
  return { date: frenchDate(datePart(localDateTime)), time: timePart(localDateTime) }
}
