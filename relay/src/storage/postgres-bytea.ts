/**
 * Reading `bytea` columns from PostgreSQL without node-postgres's hex path.
 *
 * node-postgres asks for every result in text format, decodes every field of a row from UTF-8 into
 * a JS string, and parses a `bytea`'s text (`\x` then two hex digits per byte) into a Buffer. For
 * the relay's rows (ciphertext, megabytes per room) that is twice the bytes on the wire, a string
 * twice their size, and a hex decode: where a PostgreSQL relay's CPU went during a fresh device's
 * join (docs/performance.md « (17f) »). Its binary result format is no way out: pg-protocol still
 * decodes every field as a UTF-8 string before a type parser sees it, so arbitrary bytes do not
 * survive it (tried on `updates`: every value came back empty; storage-contract.ts reads back
 * every byte value, which fails on that variant).
 *
 * So the relay's reads of big byte columns ask the server for base64 text (4 characters per 3
 * bytes, and a line break every 76 characters, which Buffer's decoder skips) and decode it with
 * Buffer's base64 decoder, several times faster than its hex one. Removing the line breaks on the
 * server (`translate`) saves the relay little and costs the server more than the whole read took
 * before (« (17f) »). Each value comes with its octet_length, checked after the decode: base64
 * decoding skips what it does not recognise rather than failing, so a value that did not arrive
 * whole is a named error, never shorter bytes.
 */

/** A value's decoded length is not the length the server gave for it. */
export class StoredBytesLengthError extends Error {
  override name = 'StoredBytesLengthError'
}

/**
 * Select-list items for `column` read as base64: `<alias>` (the text) and `<alias>_length`.
 * `column` and `alias` are the storage's own identifiers, never input.
 */
export function byteaAsBase64(column: string, alias: string = column): string {
  return `encode(${column}, 'base64') AS ${alias}, octet_length(${column}) AS ${alias}_length`
}

/** The bytes of one value read through byteaAsBase64. */
export function bytesFromBase64(text: string, length: number): Uint8Array {
  const buffer = Buffer.from(text, 'base64')
  if (buffer.byteLength !== length) {
    throw new StoredBytesLengthError(`PostgreSQL gave ${length} bytes for a value that decoded to ${buffer.byteLength}`)
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}
