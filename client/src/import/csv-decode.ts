/**
 * The bytes of a CSV file as text. Spreadsheets and practice programs write either UTF-8 (Excel's
 * « CSV UTF-8 » with a byte-order mark, LibreOffice without) or Windows-1252 (Excel's plain
 * « CSV (séparateur : point-virgule) » on a French Windows). The file says nothing, so:
 *
 *   EF BB BF …        UTF-8 with BOM      (the mark is dropped)
 *   valid UTF-8       UTF-8               (TextDecoder with `fatal: true` accepts it)
 *   anything else     Windows-1252        (every byte is a character: it never fails)
 *
 * A Windows-1252 text that happens to be valid UTF-8 needs two or more accented capitals in a row
 * in a precise pattern (« Ã© »): names do not have them, so the order above does not misread.
 *
 * Windows-1252 is decoded here, not by TextDecoder: Node 20's decoder reads the label as
 * ISO-8859-1, so 0x80–0x9F (€, œ, Œ, ’, …) came out as control characters there, while browsers
 * map them; one table gives the same text everywhere.
 */

export type CsvEncoding = 'utf-8-bom' | 'utf-8' | 'windows-1252'

export type DecodedCsv = { readonly text: string; readonly encoding: CsvEncoding }

/** Windows-1252's 0x80–0x9F; the five bytes it leaves undefined map to the same C1 code point (WHATWG). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
]

export function decodeWindows1252(bytes: Uint8Array): string {
  let text = ''
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let start = 0; start < bytes.length; start += 8192) {
    const slice = bytes.subarray(start, start + 8192)
    const codes = new Array<number>(slice.length)
    for (let i = 0; i < slice.length; i++) {
      const byte = slice[i] as number
      codes[i] = byte >= 0x80 && byte <= 0x9f ? (CP1252_HIGH[byte - 0x80] as number) : byte
    }
    text += String.fromCharCode(...codes)
  }
  return text
}

export function decodeCsvBytes(bytes: Uint8Array): DecodedCsv {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
  try {
    // ignoreBOM: the mark is kept by the decoder and dropped below, so that what is dropped is said.
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
    return bom ? { text: text.slice(1), encoding: 'utf-8-bom' } : { text, encoding: 'utf-8' }
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    return { text: decodeWindows1252(bytes), encoding: 'windows-1252' }
  }
}
