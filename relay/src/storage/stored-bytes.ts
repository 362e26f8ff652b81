/** The bytes a database driver takes and gives (Buffer), and the plain Uint8Array the relay uses. */

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Plain Uint8Array, so callers and tests never depend on Buffer's extra behaviour. */
export function toBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}
