/**
 * What the QR code a joining device shows carries (issue 19, « Pairing by QR »): its pairing code
 * and its two public keys, so that an administrator's device that scans it knows the joining keys
 * first-hand and need not take the relay's word for them (client/src/sync/device/pairing.ts
 * refuses a claim whose keys differ from the scanned ones).
 *
 *   TOURNEE-PAIR1:<code>.<agree>.<sign>
 *
 *   TOURNEE-PAIR1   the format and its version; a newer app bumps the number, an older app refuses
 *                   the text with a reason the person can act on (update the app, or type the code)
 *   <code>          the 10-character pairing code (pairing-wire.ts), as the relay issued it
 *   <agree>         the joining device's ECDH P-256 public key, base64url of the raw point (87 chars)
 *   <sign>          its ECDSA P-256 public key, the same way
 *
 * 200 characters of text, a version-10 QR at error-correction level M: a phone or tablet camera
 * reads it at arm's length. Nothing in it is secret — public keys and a one-time code that the
 * screen shows in letters anyway; what it adds is integrity of the keys, from screen to camera.
 */
import { z } from 'zod'
import { DeviceKeyError, publicKeyBytes, PUBLIC_KEY_PATTERN, type DevicePublicKeys } from './device-identity'
import { PAIRING_CODE_PATTERN } from './pairing-wire'

export const PAIRING_QR_VERSION = 1
const PREFIX = 'TOURNEE-PAIR'
const VERSIONED = /^TOURNEE-PAIR(\d+):/

const PairingQrPayload = z.object({
  code: z.string().regex(PAIRING_CODE_PATTERN),
  agree: z.string().regex(PUBLIC_KEY_PATTERN),
  sign: z.string().regex(PUBLIC_KEY_PATTERN),
})

export interface PairingQr {
  readonly code: string
  readonly joining: DevicePublicKeys
}

export const PairingQrFailure = {
  /** Not a Tournée pairing QR at all (a web address, another app's code). */
  Foreign: 'foreign',
  /** A Tournée pairing QR of another version: the two apps differ, one needs updating. */
  Version: 'version',
  /** Says it is one, but a field is missing, too long or not what it must be. */
  Malformed: 'malformed',
} as const
export type PairingQrFailure = (typeof PairingQrFailure)[keyof typeof PairingQrFailure]

export class PairingQrError extends Error {
  override name = 'PairingQrError'
  constructor(
    readonly failure: PairingQrFailure,
    message: string,
  ) {
    super(message)
  }
}

export function encodePairingQr(qr: PairingQr): string {
  return `${PREFIX}${PAIRING_QR_VERSION}:${qr.code}.${qr.joining.agree}.${qr.joining.sign}`
}

/** What a camera read, as a pairing QR; a named PairingQrError for anything else. */
export function decodePairingQr(text: string): PairingQr {
  const versioned = VERSIONED.exec(text)
  if (versioned === null) throw new PairingQrError(PairingQrFailure.Foreign, 'This QR code is not a Tournée pairing code')
  if (Number(versioned[1]) !== PAIRING_QR_VERSION) {
    throw new PairingQrError(PairingQrFailure.Version, `This pairing QR code is of version ${versioned[1]}; this app reads version ${PAIRING_QR_VERSION}: update both apps`)
  }
  const fields = text.slice(versioned[0].length).split('.')
  if (fields.length !== 3) throw new PairingQrError(PairingQrFailure.Malformed, 'A pairing QR code holds a code and two keys, separated by dots')
  const parsed = PairingQrPayload.safeParse({ code: fields[0], agree: fields[1], sign: fields[2] })
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') ?? '?'
    throw new PairingQrError(PairingQrFailure.Malformed, `The pairing QR code's ${field} is not well formed`)
  }
  const { code, agree, sign } = parsed.data
  for (const [field, key] of [['agree', agree], ['sign', sign]] as const) {
    try {
      publicKeyBytes(key)
    } catch (error) {
      if (!(error instanceof DeviceKeyError)) throw error
      throw new PairingQrError(PairingQrFailure.Malformed, `The pairing QR code's ${field} key is not an uncompressed P-256 point`)
    }
  }
  return { code, joining: { agree, sign } }
}
