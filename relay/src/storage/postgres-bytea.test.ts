import { describe, expect, it } from 'vitest'
import { bytesFromBase64, StoredBytesLengthError } from './postgres-bytea'

/** PostgreSQL's encode(…, 'base64'): a line break after every 76 characters. */
function asPostgresEncodes(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/.{76}(?=.)/g, '$&\n')
}

describe('bytea read as base64', () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, index) => (index * 31) & 0xff)

  it('decodes the text PostgreSQL sends, line breaks included, to the exact bytes', () => {
    const text = asPostgresEncodes(bytes)
    expect(text).toContain('\n')
    expect(bytesFromBase64(text, bytes.byteLength)).toEqual(bytes)
    expect(bytesFromBase64('', 0)).toEqual(new Uint8Array(0))
  })

  it('refuses a value that did not arrive whole, rather than giving shorter bytes', () => {
    const text = asPostgresEncodes(bytes)
    // Cut at a line break: what is left is valid base64, of fewer bytes.
    const cut = text.slice(0, text.indexOf('\n'))
    expect(() => bytesFromBase64(cut, bytes.byteLength)).toThrow(StoredBytesLengthError)
    // A stray character is skipped by Buffer's decoder: the length says so.
    expect(() => bytesFromBase64(`${text.slice(0, 8)}*${text.slice(12)}`, bytes.byteLength)).toThrow(StoredBytesLengthError)
  })
})
