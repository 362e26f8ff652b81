import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { CSV_BOM, CsvDateError, csvField, csvHeader, csvRow, frenchDate, frenchDateTime } from './csv'

describe('CSV for a French spreadsheet', () => {
  it('starts with a UTF-8 byte-order mark, separates with ; and ends records with CRLF', () => {
    const text = csvHeader(['Nom', 'Prénom']) + csvRow(['Dupont', 'Jean'])
    expect(text.startsWith(CSV_BOM)).toBe(true)
    expect(new TextEncoder().encode(text).subarray(0, 3)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]))
    expect(text).toBe('\uFEFFNom;Prénom\r\nDupont;Jean\r\n')
  })

  it.each([
    ['plain', 'Dupont', 'Dupont'],
    ['a separator', 'a;b', '"a;b"'],
    ['quotes', 'dit "Jeannot"', '"dit ""Jeannot"""'],
    ['a line break', 'ligne 1\nligne 2', '"ligne 1\nligne 2"'],
    ['outer spaces', ' Jean ', '" Jean "'],
    ['a comma (not the separator)', 'Dupont, Jean', 'Dupont, Jean'],
    ['a formula', '=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['an @ formula', '@SUM(A1)', "'@SUM(A1)"],
    ['a phone number', '+33 6 12 34 56 78', '+33 6 12 34 56 78'],
  ])('quotes a field with %s', (_what, value, expected) => {
    expect(csvField(value)).toBe(expected)
  })

  it('writes numbers with a decimal comma and nothing for absent values', () => {
    expect(csvRow([1.5, 30, undefined, null, ''])).toBe('1,5;30;;;\r\n')
  })

  it('writes dates as dd/mm/yyyy and refuses what is not a date', () => {
    expect(frenchDate('2026-03-29')).toBe('29/03/2026')
    expect(frenchDateTime('2026-10-25T02:30')).toEqual({ date: '25/10/2026', time: '02:30' })
    expect(() => frenchDate('29/03/2026')).toThrow(CsvDateError)
    expect(() => frenchDateTime('2026-10-25')).toThrow(CsvDateError)
  })

  it('reads back through an independent CSV parser, field for field', () => {
    const rows = [
      ['Identifiant', 'Nom', 'Note'],
      ['a1', 'Le Goff; Hélène', 'dit "la grande"\r\nseconde ligne'],
      ['a2', ' espace ', ''],
    ]
    const text = csvHeader(rows[0]!) + rows.slice(1).map(csvRow).join('')
    const parsed: string[][] = parse(text, { bom: true, delimiter: ';', relax_column_count: false })
    expect(parsed).toEqual(rows)
  })
})
