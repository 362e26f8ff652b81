/**
 * The pairing code: what a paired device shows so another device can join the space.
 *
 *   TOURNEE1.<base64url(JSON)>
 *   JSON = { "r": relayUrl, "s": spaceId, "c": credential, "k": base64url(rootSecret), "n": practiceName,
 *            "d"?: deviceId }
 *
 * Since issue 19 it is never shown: an administrator's device seals it to the joining device's
 * key (shared/src/devices/pairing-seal.ts). In a practice with a device registry, `c` is the
 * credential the administrator made for that one device and `d` the id the registry gave it.
 *
 * The number after TOURNEE is the code's format: an app that does not know it refuses the code as
 * "update the app" (`unsupported_version`). Where the practice's docs live (its rooms) is fixed by
 * shared/src/space/rooms.ts; what a future layout change needs is in the space manifest
 * (manifest.ts), which every device reads once the main room has synced.
 *
 * It carries the space's root secret: whoever holds it reads the practice's data. It is shown on
 * a paired device only, meant to be typed or pasted once, and never sent to the relay.
 */
import { z } from 'zod'
import { fromBase64Url, toBase64Url } from '../crypto/base64url'
import { ROOT_SECRET_BYTES } from '../crypto/space-keys'
import { CREDENTIAL_PATTERN, SPACE_ID_PATTERN } from '../protocol/ids'
import { DEVICE_ID_PATTERN } from '../devices/registry-chain'

export const PAIRING_PREFIX = 'TOURNEE1.'

export interface PairingInfo {
  relayUrl: string
  spaceId: string
  credential: string
  rootSecret: Uint8Array
  practiceName: string
  /** The joining device's id in the practice's device registry, when it has one. */
  deviceId?: string
}

export const PairingCodeErrorCode = { Malformed: 'malformed', UnsupportedVersion: 'unsupported_version' } as const
export type PairingCodeErrorCode = (typeof PairingCodeErrorCode)[keyof typeof PairingCodeErrorCode]

export class PairingCodeError extends Error {
  override name = 'PairingCodeError'
  readonly code: PairingCodeErrorCode
  readonly path: string | null
  constructor(code: PairingCodeErrorCode, message: string, path: string | null = null) {
    super(message)
    this.code = code
    this.path = path
  }
}

const PayloadSchema = z.object({
  r: z.string().refine((s) => /^https?:\/\//.test(s) && URL.canParse(s), 'relay URL must be http(s)'),
  s: z.string().regex(SPACE_ID_PATTERN),
  c: z.string().regex(CREDENTIAL_PATTERN),
  k: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  n: z.string().min(1).max(200),
  d: z.string().regex(DEVICE_ID_PATTERN).optional(),
})

export function encodePairingCode(info: PairingInfo): string {
  const payload = {
    r: info.relayUrl,
    s: info.spaceId,
    c: info.credential,
    k: toBase64Url(info.rootSecret),
    n: info.practiceName,
    ...(info.deviceId === undefined ? {} : { d: info.deviceId }),
  }
  return PAIRING_PREFIX + toBase64Url(new TextEncoder().encode(JSON.stringify(payload)))
}

export function decodePairingCode(text: string): PairingInfo {
  const code = text.replace(/\s+/g, '')
  const match = /^TOURNEE(\d+)\.([A-Za-z0-9_-]+)$/.exec(code)
  if (!match) throw new PairingCodeError('malformed', 'A pairing code starts with TOURNEE1.')
  if (match[1] !== '1') throw new PairingCodeError('unsupported_version', `Pairing code version ${match[1]}: update the app`)
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(match[2]!)))
  } catch {
    // The cause (bad base64, bad UTF-8, bad JSON) is the same for the user: a truncated copy.
    throw new PairingCodeError('malformed', 'The pairing code is incomplete or damaged')
  }
  const parsed = PayloadSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue ? issue.path.join('.') : null
    throw new PairingCodeError('malformed', `Invalid pairing code field ${path ?? '?'}`, path)
  }
  const rootSecret = fromBase64Url(parsed.data.k)
  if (rootSecret.length !== ROOT_SECRET_BYTES) throw new PairingCodeError('malformed', 'Invalid key length', 'k')
  return {
    relayUrl: parsed.data.r,
    spaceId: parsed.data.s,
    credential: parsed.data.c,
    rootSecret,
    practiceName: parsed.data.n,
    ...(parsed.data.d === undefined ? {} : { deviceId: parsed.data.d }),
  }
}
