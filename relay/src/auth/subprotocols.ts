/**
 * The upgrade's `Sec-WebSocket-Protocol` header carries the protocol version and the credential
 * (see shared/src/protocol/constants.ts):
 *
 *   Sec-WebSocket-Protocol: tournee.1, tournee-auth.<base64url credential>
 *
 * Parsing never throws: the result says what was offered, and the upgrade decides the refusal.
 * The raw header must never be logged: it holds the credential.
 */
import { AUTH_SUBPROTOCOL_PREFIX, FRAMED_ANSWERS_SUBPROTOCOL, SUBPROTOCOL } from '../../../shared/src/protocol/constants'
import { isCredential } from '../../../shared/src/protocol/ids'

export interface OfferedSubprotocols {
  /** `tournee.1` was offered: the device speaks this relay's protocol version. */
  versionOffered: boolean
  /** The well-formed credential, or null when none (or a malformed or ambiguous one) was offered. */
  credential: string | null
  /** `tournee-framed-answers` was offered: any answer to a step 1 may come in frames (constants.ts). */
  framedAnswers: boolean
}

/** Header values longer than this are not a device talking to us; refuse without parsing. */
const MAX_HEADER_LENGTH = 1024

export function parseSubprotocols(header: string | string[] | undefined): OfferedSubprotocols {
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '')
  if (raw.length > MAX_HEADER_LENGTH) return { versionOffered: false, credential: null, framedAnswers: false }
  const tokens = raw
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '')
  const credentials = tokens
    .filter((token) => token.startsWith(AUTH_SUBPROTOCOL_PREFIX))
    .map((token) => token.slice(AUTH_SUBPROTOCOL_PREFIX.length))
  // Two different credentials are ambiguous: which one would we check? Refuse both.
  const unique = new Set(credentials)
  const only = unique.size === 1 ? [...unique][0]! : null
  return {
    versionOffered: tokens.includes(SUBPROTOCOL),
    credential: only !== null && isCredential(only) ? only : null,
    framedAnswers: tokens.includes(FRAMED_ANSWERS_SUBPROTOCOL),
  }
}
