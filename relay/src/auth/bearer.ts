import { isCredential } from '../../../shared/src/protocol/ids'

/** The token of `Authorization: Bearer <token>` (visible ASCII, no spaces), or null. */
export function parseBearerToken(header: string | undefined): string | null {
  if (header === undefined) return null
  const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header.trim())
  return match?.[1] ?? null
}

/** The credential of `Authorization: Bearer <credential>`, or null when absent or malformed. */
export function parseBearer(header: string | undefined): string | null {
  const credential = parseBearerToken(header)
  return credential !== null && isCredential(credential) ? credential : null
}
