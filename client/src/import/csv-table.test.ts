import { describe, expect, it } from 'vitest'
import { decodeCsvBytes, decodeWindows1252 } from './csv-decode'
import { CsvFileError, detectDelimiter, readCsvTable } from './csv-table'

const utf8 = (text: string) => new TextEncoder().encode(text)

/** Windows-1252 bytes of a text, from a table independent of the decoder under test. */
function cp1252(text: string): Uint8Array {
  const high: Record<string, number> = { '€': 0x80, '’': 0x92, 'œ': 0x9c, 'Œ': 0x8c, 'Ÿ': 0x9f, '…': 0x85 }
  return Uint8Array.from([...text].map((c) => {
    const code = c.codePointAt(0) as number
    if (code < 0x80 || (code >= 0xa0 && code <= 0xff)) return code
    const byte = high[c]
    if (byte === undefined) throw new Error(`no Windows-1252 byte for ${c}`)
    return byte
  }))
}

function refusal(bytes: Uint8Array): CsvFileError {
  try {
    readCsvTable(bytes)
  } catch (error) {
    if (error instanceof CsvFileError) return error
    throw error
  }
  throw new Error('the file was accepted')
}

describe('decodeCsvBytes', () => {
  it('reads Windows-1252 when the bytes are not UTF-8, accents and the 0x80–0x9F block included', () => {
    const decoded = decodeCsvBytes(cp1252('Nom;Prénom\nLefèvre-Œuvray;Zoë Cœur\n'))
    expect(decoded).toEqual({ encoding: 'windows-1252', text: 'Nom;Prénom\nLefèvre-Œuvray;Zoë Cœur\n' })
  })

  it('drops a UTF-8 byte-order mark and says it was there', () => {
    expect(decodeCsvBytes(utf8('\ufeffNom;Prénom\n'))).toEqual({ encoding: 'utf-8-bom', text: 'Nom;Prénom\n' })
    expect(decodeCsvBytes(utf8('Nom;Prénom\n'))).toEqual({ encoding: 'utf-8', text: 'Nom;Prénom\n' })
  })

  it('maps every Windows-1252 byte to one character', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    const text = decodeWindows1252(all)
    expect(text).toHaveLength(256)
    expect(text[0x80]).toBe('€')
    expect(text[0x9c]).toBe('œ')
    expect(text[0xe9]).toBe('é')
  })
})

describe('detectDelimiter', () => {
  it.each([
    ['Nom;Prénom;Adresse\nMartin;Léa;"3, rue Haute"', ';'],
    ['Nom,Prénom,Adresse\nMartin,Léa,"3; rue Haute"', ','],
    ['Nom\tPrénom\tAdresse\n', '\t'],
    ['"Nom, de naissance";Prénom\n', ';'],
    ['\n\nNom,Prénom\n', ','],
    ['Nom\n', ';'],
  ] as const)('%j → %j', (text, delimiter) => {
    expect(detectDelimiter(text)).toBe(delimiter)
  })
})

describe('readCsvTable', () => {
  it('skips empty lines and rows of empty cells, and numbers rows by the file’s lines', () => {
    const table = readCsvTable(utf8('Nom;Prénom\r\nMartin;Léa\r\n\r\n;\r\nDurand ; Paul \r\n'))
    expect(table.headers).toEqual(['Nom', 'Prénom'])
    expect(table.rows).toEqual([
      { line: 2, cells: ['Martin', 'Léa'] },
      { line: 5, cells: ['Durand', 'Paul'] },
    ])
  })

  it('numbers a row whose quoted cell spans lines by the line it starts on', () => {
    const table = readCsvTable(utf8('Nom,Adresse\nMartin,"3 rue Haute\nBâtiment B"\nDurand,Ici\n'))
    expect(table.rows.map((r) => r.line)).toEqual([2, 4])
    expect(table.rows[0]?.cells[1]).toBe('3 rue Haute\nBâtiment B')
  })

  it('refuses a truncated last line whole, naming its line and the first field it lacks', () => {
    const error = refusal(utf8('Nom;Prénom;Date de naissance;Ville\nMartin;Léa;12/03/1958;Rennes\nDurand;Pau'))
    expect(error).toMatchObject({ problem: 'row_too_short', line: 3, column: 3, field: 'Date de naissance' })
    expect(error.message).toContain('nothing was imported')
  })

  it('refuses a file cut inside a quoted cell, naming the line and the field', () => {
    const error = refusal(utf8('Nom,Prénom,Adresse\nMartin,Léa,"3 rue Haute"\nDurand,Paul,"12 av'))
    expect(error).toMatchObject({ problem: 'quote_not_closed', line: 3, field: 'Adresse' })
  })

  it('refuses a row with more cells than the header', () => {
    expect(refusal(utf8('Nom;Prénom\nMartin;Léa;en trop\n'))).toMatchObject({ problem: 'row_too_long', line: 2, column: 3 })
  })

  it('refuses a file with a header and no row, and an empty file', () => {
    expect(refusal(utf8('Nom;Prénom\n\n'))).toMatchObject({ problem: 'empty' })
    expect(refusal(utf8(''))).toMatchObject({ problem: 'empty' })
  })
})
