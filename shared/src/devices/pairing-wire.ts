/**
 * The pairing mailbox's wire format (relay/src/pairing/, client/src/sync/device/pairing.ts).
 *
 * A joining device opens a pairing on the relay with its public keys and gets a short code to
 * show; an administrator's device types (or scans) the code, claims the pairing with its own
 * public keys and the space it pairs into, both devices show the same confirmation code
 * (confirmation-code.ts), and once the person accepts, the admin device leaves the sealed pairing
 * payload (pairing-seal.ts) for the joining device to collect, once.
 *
 *   POST   /v1/pairings                       { joining }                 → 201 { code, expiresAt }
 *   GET    /v1/pairings/:code                 (the joining device polls)  → 200 PairingState
 *   DELETE /v1/pairings/:code                 (the joining device gives up)→ 204
 *   POST   /v1/spaces/:spaceId/pairings/:code/claim   Bearer, { admin }    → 200 ClaimOutcome
 *   PUT    /v1/spaces/:spaceId/pairings/:code/sealed  Bearer, { sealed }   → 204
 *   DELETE /v1/spaces/:spaceId/pairings/:code         Bearer (refused)     → 204
 *
 * Beside the code, the joining device shows a QR code carrying the code and both its public keys
 * (pairing-qr.ts: `TOURNEE-PAIR1:<code>.<agree>.<sign>`); an administrator's device that scanned it
 * refuses a claim whose `joining` keys differ from the scanned ones (docs/sync-protocol.md,
 * « Pairing by QR code »). The mailbox itself is the same for a typed or a scanned code.
 *
 * The code is the joining side's only capability: 10 characters of Crockford's base32 (50 bits),
 * alive 10 minutes, refused after too many wrong guesses from one address (the relay's perimeter).
 * Nothing in the mailbox lets anyone read the practice: public keys, and a blob sealed to the
 * joining device.
 */
import { z } from 'zod'
import { randomBytes } from '../crypto/base64url'
import { PUBLIC_KEY_PATTERN } from './device-identity'
import { MAX_SEALED_CHARS } from './pairing-seal'

/** Crockford's base32: no I, L, O, U, so what is read aloud or typed is not misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
export const PAIRING_CODE_LENGTH = 10
export const PAIRING_CODE_PATTERN = /^[0-9A-HJKMNP-TV-Z]{10}$/
/** How long a pairing stays open on the relay. */
export const PAIRING_TTL_MS = 10 * 60_000

export const PublicKeysSchema = z.object({
  agree: z.string().regex(PUBLIC_KEY_PATTERN),
  sign: z.string().regex(PUBLIC_KEY_PATTERN),
})

export const OpenPairingBody = z.object({ joining: PublicKeysSchema }).strict()
export const ClaimPairingBody = z.object({ admin: PublicKeysSchema }).strict()
export const SealedPairingBody = z.object({ sealed: z.string().min(1).max(MAX_SEALED_CHARS).regex(/^[A-Za-z0-9_-]+$/) }).strict()

/**
 * A claim's answer, always a 200: a mistyped code is an ordinary outcome for the person typing it
 * (a browser logs every 4xx of a page as a console error). `taken`: another claim came first.
 */
export const ClaimOutcome = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('claimed'), joining: PublicKeysSchema }),
  z.object({ outcome: z.literal('unknown') }),
  z.object({ outcome: z.literal('taken') }),
])
export type ClaimOutcome = z.infer<typeof ClaimOutcome>

export const PairingState = z.discriminatedUnion('state', [
  z.object({ state: z.literal('waiting'), expiresAt: z.number() }),
  z.object({ state: z.literal('claimed'), expiresAt: z.number(), admin: PublicKeysSchema }),
  z.object({ state: z.literal('sealed'), admin: PublicKeysSchema, sealed: SealedPairingBody.shape.sealed }),
  z.object({ state: z.literal('refused') }),
])
export type PairingState = z.infer<typeof PairingState>

export function newPairingCode(): string {
  // 10 × 5 bits from 10 random bytes, one byte per character (the top 3 bits dropped).
  return Array.from(randomBytes(PAIRING_CODE_LENGTH), (byte) => ALPHABET[byte & 31]).join('')
}

/**
 * What a person typed, as a code: case, spaces and dashes ignored, and the letters Crockford
 * reads as digits (O → 0, I and L → 1) mapped; null when it cannot be a code.
 */
export function normalizePairingCode(typed: string): string | null {
  const code = typed
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1')
  return PAIRING_CODE_PATTERN.test(code) ? code : null
}

/** « 7KQ2M-X9D4R »: how a screen shows a code, in two groups of five. */
export function groupedPairingCode(code: string): string {
  return `${code.slice(0, 5)}-${code.slice(5)}`
}
