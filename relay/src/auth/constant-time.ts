import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * Byte equality whose running time does not depend on where the inputs differ. Inputs of
 * different lengths are hashed first, so the comparison itself is always of equal lengths and
 * the length is not leaked through an early return either.
 */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  const left = createHash('sha256').update(a).digest()
  const right = createHash('sha256').update(b).digest()
  return timingSafeEqual(left, right) && a.byteLength === b.byteLength
}

export function timingSafeEqualStrings(a: string, b: string): boolean {
  const encoder = new TextEncoder()
  return timingSafeEqualBytes(encoder.encode(a), encoder.encode(b))
}
