/**
 * The pairing payload: what an administrator's device seals to a joining device's key
 * (shared/src/devices/pairing-seal.ts) so that it can join the practice.
 *
 *   TOURNEE2.<base64url(JSON)>
 *   JSON = { "r": relayUrl, "s": spaceId, "c": credential, "n": practiceName, "d"?: deviceId,
 *            "o": role ('praticien' | 'secretariat' | 'remplacant'), "a": administrator (boolean),
 *            "u"?: end of a locum's access (ms since the epoch, remplaçant only),
 *            "p": base64url(practice tier secret), "x"?: base64url(clinical tier secret),
 *            "k"?: base64url(root secret) }
 *
 * It carries the tier secrets the role reads (shared/src/crypto/space-keys.ts) and nothing more:
 *
 *   praticien, administrator   p, x and k: it may pair others, which needs the root secret
 *   praticien                  p and x
 *   remplaçant                 p and x, and u (the relay refuses its credential from then on)
 *   secrétariat                p alone: no clinical key ever reaches its device
 *
 * A payload that carries more than its role allows (a secretary's with `x` or `k`, an
 * administrator that is not a praticien) is refused as malformed: an administrator's device never
 * writes one, so it is a broken or hostile one, and the joining device stores nothing of it. The
 * role, the administrator flag and `u` are the registry entry's (registry-chain.ts), which the relay
 * enforces; here they tell the joining device what it is.
 *
 * In a practice with a device registry, `c` is the credential the administrator made for that one
 * device and `d` the id the registry gave it. The number after TOURNEE is the format: an app that
 * does not know it refuses it as "update the app" (`unsupported_version`). It is never shown, typed
 * or sent in clear; version 1 (the root secret for every device) is gone.
 */
import { z } from 'zod'
import { fromBase64Url, toBase64Url } from '../crypto/base64url'
import { deriveTierSecrets, ROOT_SECRET_BYTES, TIER_SECRET_BYTES, type TierSecrets } from '../crypto/space-keys'
import { CREDENTIAL_PATTERN, SPACE_ID_PATTERN } from '../protocol/ids'
import { DEVICE_ID_PATTERN, DeviceRole } from '../devices/registry-chain'

export const PAIRING_VERSION = 2
export const PAIRING_PREFIX = `TOURNEE${PAIRING_VERSION}.`

export interface PairingInfo {
  relayUrl: string
  spaceId: string
  credential: string
  practiceName: string
  /** The joining device's id in the practice's device registry, when it has one. */
  deviceId?: string
  role: DeviceRole
  admin: boolean
  /** When a locum's access ends (ms); null for the other roles. */
  until: number | null
  tiers: TierSecrets
  /** Only for an administrator praticien: the means to pair others. */
  rootSecret: Uint8Array | null
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

const SECRET = z.string().regex(/^[A-Za-z0-9_-]{43}$/)

const PayloadSchema = z
  .object({
    r: z.string().refine((s) => /^https?:\/\//.test(s) && URL.canParse(s), 'relay URL must be http(s)'),
    s: z.string().regex(SPACE_ID_PATTERN),
    c: z.string().regex(CREDENTIAL_PATTERN),
    n: z.string().min(1).max(200),
    d: z.string().regex(DEVICE_ID_PATTERN).optional(),
    o: z.enum([DeviceRole.Practitioner, DeviceRole.Secretariat, DeviceRole.Locum]),
    a: z.boolean(),
    u: z.number().int().min(0).optional(),
    p: SECRET,
    x: SECRET.optional(),
    k: SECRET.optional(),
  })
  .strict()

/** What a role is given, or the field that says more (or less) than the role allows. */
function roleMismatch(payload: z.infer<typeof PayloadSchema>): string | null {
  const clinical = payload.o !== DeviceRole.Secretariat
  if (clinical !== (payload.x !== undefined)) return 'x'
  if (payload.a && payload.o !== DeviceRole.Practitioner) return 'a'
  if ((payload.k !== undefined) !== payload.a) return 'k'
  if ((payload.o === DeviceRole.Locum) !== (payload.u !== undefined)) return 'u'
  return null
}

export function encodePairingCode(info: PairingInfo): string {
  const payload = {
    r: info.relayUrl,
    s: info.spaceId,
    c: info.credential,
    n: info.practiceName,
    ...(info.deviceId === undefined ? {} : { d: info.deviceId }),
    o: info.role,
    a: info.admin,
    ...(info.until === null ? {} : { u: info.until }),
    p: toBase64Url(info.tiers.practice),
    ...(info.tiers.clinical === null ? {} : { x: toBase64Url(info.tiers.clinical) }),
    ...(info.rootSecret === null ? {} : { k: toBase64Url(info.rootSecret) }),
  }
  return PAIRING_PREFIX + toBase64Url(new TextEncoder().encode(JSON.stringify(payload)))
}

export function decodePairingCode(text: string): PairingInfo {
  const code = text.replace(/\s+/g, '')
  const match = /^TOURNEE(\d+)\.([A-Za-z0-9_-]+)$/.exec(code)
  if (!match) throw new PairingCodeError('malformed', `A pairing payload starts with ${PAIRING_PREFIX}`)
  if (match[1] !== String(PAIRING_VERSION)) throw new PairingCodeError('unsupported_version', `Pairing payload version ${match[1]}: update the app`)
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(match[2]!)))
  } catch {
    // The cause (bad base64, bad UTF-8, bad JSON) is the same for the user: a truncated copy.
    throw new PairingCodeError('malformed', 'The pairing payload is incomplete or damaged')
  }
  const parsed = PayloadSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue ? issue.path.join('.') || null : null
    throw new PairingCodeError('malformed', `Invalid pairing payload field ${path ?? '?'}`, path)
  }
  const payload = parsed.data
  const mismatch = roleMismatch(payload)
  if (mismatch !== null) throw new PairingCodeError('malformed', `The pairing payload's ${mismatch} does not fit the role ${payload.o}`, mismatch)
  const secret = (field: 'p' | 'x' | 'k', bytes: number) => {
    const value = fromBase64Url(payload[field]!)
    if (value.length !== bytes) throw new PairingCodeError('malformed', 'Invalid key length', field)
    return value
  }
  return {
    relayUrl: payload.r,
    spaceId: payload.s,
    credential: payload.c,
    practiceName: payload.n,
    ...(payload.d === undefined ? {} : { deviceId: payload.d }),
    role: payload.o,
    admin: payload.a,
    until: payload.u ?? null,
    tiers: { practice: secret('p', TIER_SECRET_BYTES), clinical: payload.x === undefined ? null : secret('x', TIER_SECRET_BYTES) },
    rootSecret: payload.k === undefined ? null : secret('k', ROOT_SECRET_BYTES),
  }
}

/** What a grant of `role` carries, from the root secret an administrator's device holds. */
export async function pairingSecretsFor(
  spaceId: string,
  rootSecret: Uint8Array,
  role: DeviceRole,
  admin: boolean,
): Promise<Pick<PairingInfo, 'tiers' | 'rootSecret'>> {
  const tiers = await deriveTierSecrets(spaceId, rootSecret)
  return {
    tiers: { practice: tiers.practice, clinical: role === DeviceRole.Secretariat ? null : tiers.clinical },
    rootSecret: admin && role === DeviceRole.Practitioner ? rootSecret : null,
  }
}

/** An administrator praticien's payload (a practice's own devices, tests and benchmarks that join without a grant). */
export async function administratorPairing(
  base: Pick<PairingInfo, 'relayUrl' | 'spaceId' | 'credential' | 'practiceName'> & { deviceId?: string },
  rootSecret: Uint8Array,
): Promise<PairingInfo> {
  return { ...base, role: DeviceRole.Practitioner, admin: true, until: null, ...(await pairingSecretsFor(base.spaceId, rootSecret, DeviceRole.Practitioner, true)) }
}
