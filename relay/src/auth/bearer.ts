import { isCredential } from '../../../shared/src/protocol/ids'

/** The credential of `Authorization: Bearer <credential>`, or null when absent or malformed. */
export function parseBearer(header: string | undefined): string | null {
  if (header === undefined) return null
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim())
  const credential = match?.[1]
  return credential !== undefined && isCredential(credential) ? credential : null
}
