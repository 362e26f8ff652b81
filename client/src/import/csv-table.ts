/**
 * A CSV file read whole into a table, or refused whole: a file cut short (a download interrupted,
 * a copy stopped half-way) or malformed imports nothing, and the error names the line and the
 * field where reading stopped.
 *
 *   bytes ──decodeCsvBytes──▶ text ──detectDelimiter(header line)──▶ ';' | ',' | '\t'
 *         ──csv-parse (RFC 4180 quoting, every row as many cells as the header)──▶ CsvTable
 *
 * Empty lines, and rows whose cells are all blank (« ;;;; », as spreadsheets write an empty row),
 * are skipped. Line numbers are the file's, 1-based, the header being line 1: what a person sees
 * in a text editor or a spreadsheet's row numbers.
 */
import { CsvError, parse } from 'csv-parse/browser/esm/sync'
import { decodeCsvBytes } from './csv-decode'
import type { CsvEncoding } from './csv-decode'

export type CsvDelimiter = ';' | ',' | '\t'

export type CsvRow = { readonly line: number; readonly cells: readonly string[] }

export type CsvTable = {
  readonly encoding: CsvEncoding
  readonly delimiter: CsvDelimiter
  readonly headers: readonly string[]
  readonly rows: readonly CsvRow[]
}

/** Far more than 20,000 patients with every column filled; a bigger file is not a patient list. */
export const MAX_CSV_BYTES = 20 * 1024 * 1024

export const CSV_FILE_PROBLEMS = ['empty', 'too_large', 'quote_not_closed', 'row_too_short', 'row_too_long', 'malformed'] as const
export type CsvFileProblem = (typeof CSV_FILE_PROBLEMS)[number]

/**
 * Why a file was refused. `line` is the file's line (1-based) where reading stopped; `column` the
 * 1-based column there, and `field` its header when the header has one.
 */
export class CsvFileError extends Error {
  override name = 'CsvFileError'

  constructor(
    readonly problem: CsvFileProblem,
    readonly line: number,
    readonly column: number | null,
    readonly field: string | null,
  ) {
    super(`CSV file refused (${problem}) at line ${line}${column === null ? '' : `, column ${column}`}: nothing was imported`)
  }
}

const CANDIDATES: readonly CsvDelimiter[] = [';', '\t', ',']

/**
 * The delimiter is the candidate the header line holds most of, outside quotes: headers hold no
 * commas of their own, unlike addresses further down. On a tie (a one-column file) ';', the French
 * spreadsheets' separator, then tab, then ','.
 */
export function detectDelimiter(text: string): CsvDelimiter {
  const counts = new Map<CsvDelimiter, number>(CANDIDATES.map((c) => [c, 0]))
  let quoted = false
  let started = false
  for (const char of text) {
    if (char === '"') quoted = !quoted
    else if (!quoted && (char === '\n' || char === '\r')) {
      if (started) break
    } else if (!quoted) {
      if (char.trim() !== '') started = true
      const count = counts.get(char as CsvDelimiter)
      if (count !== undefined) counts.set(char as CsvDelimiter, count + 1)
    }
  }
  let best: CsvDelimiter = ';'
  for (const c of CANDIDATES) if ((counts.get(c) ?? 0) > (counts.get(best) ?? 0)) best = c
  return best
}

type ParsedRecord = { record: string[]; info: { lines: number } }

function newlinesIn(cells: readonly string[]): number {
  let n = 0
  for (const cell of cells) for (const char of cell) if (char === '\n') n++
  return n
}

function refusal(error: CsvError, headers: readonly string[]): CsvFileError {
  const context = error as CsvError & { lines?: unknown; column?: unknown; record?: unknown }
  const line = typeof context.lines === 'number' ? context.lines : 0
  const index = typeof context.column === 'number' ? context.column : null
  const fieldAt = (i: number | null) => (i !== null && i < headers.length ? headers[i] || null : null)
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new CsvFileError('quote_not_closed', line, index === null ? null : index + 1, fieldAt(index))
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const got = Array.isArray(context.record) ? context.record.length : 0
      // A short row names the first field it lacks; a long one the first column past the header.
      return got < headers.length
        ? new CsvFileError('row_too_short', line, got + 1, fieldAt(got))
        : new CsvFileError('row_too_long', line, headers.length + 1, null)
    }
    default:
      return new CsvFileError('malformed', line, index === null ? null : index + 1, fieldAt(index))
  }
}

export function readCsvTable(bytes: Uint8Array): CsvTable {
  if (bytes.length > MAX_CSV_BYTES) throw new CsvFileError('too_large', 0, null, null)
  const { text, encoding } = decodeCsvBytes(bytes)
  const delimiter = detectDelimiter(text)
  let records: ParsedRecord[]
  try {
    // csv-parse's types ignore `info: true`, which wraps each record as { record, info }.
    records = parse(text, { delimiter, info: true, skip_empty_lines: true, relax_quotes: true }) as unknown as ParsedRecord[]
  } catch (error) {
    if (!(error instanceof CsvError)) throw error
    // The header is the file's first record: parsed again alone, it names the field that failed.
    throw refusal(error, headerOf(text, delimiter))
  }
  const [header, ...body] = records
  if (!header) throw new CsvFileError('empty', 1, null, null)
  const headers = header.record.map((h) => h.trim())
  const rows: CsvRow[] = []
  for (const { record, info } of body) {
    if (record.every((cell) => cell.trim() === '')) continue
    rows.push({ line: info.lines - newlinesIn(record), cells: record.map((cell) => cell.trim()) })
  }
  if (rows.length === 0) throw new CsvFileError('empty', header.info.lines + 1, null, null)
  return { encoding, delimiter, headers, rows }
}

function headerOf(text: string, delimiter: CsvDelimiter): string[] {
  try {
    const [first] = parse(text, { delimiter, to_line: 1, skip_empty_lines: true, relax_quotes: true, relax_column_count: true }) as string[][]
    return (first ?? []).map((h) => h.trim())
  } catch (error) {
    if (!(error instanceof CsvError)) throw error
    return []
  }
}
