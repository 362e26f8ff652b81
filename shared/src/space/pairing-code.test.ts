import { describe, expect, it } from 'vitest'
import { fromBase64Url, randomBytes, randomId, toBase64Url } from '../crypto/base64url'
import { deriveTierSecrets } from '../crypto/space-keys'
import { DeviceRole } from '../devices/registry-chain'
import { administratorPairing, decodePairingCode, encodePairingCode, pairingSecretsFor, PairingCodeError, type PairingInfo } from './pairing-code'

const base = {
  relayUrl: 'https://relais.cabinet.example',
  spaceId: randomId(16),
  credential: randomId(32),
  practiceName: 'Cabinet de kinésithérapie des Tilleuls',
}
const root = randomBytes(32)
const info: PairingInfo = await administratorPairing(base, root)
const secretary: PairingInfo = { ...base, role: DeviceRole.Secretariat, admin: false, until: null, ...(await pairingSecretsFor(base.spaceId, root, DeviceRole.Secretariat, false)) }

function codeOf(payload: unknown): string {
  return 'TOURNEE2.' + toBase64Url(new TextEncoder().encode(JSON.stringify(payload)))
}

const tiers = await deriveTierSecrets(base.spaceId, root)
const valid = {
  r: base.relayUrl,
  s: base.spaceId,
  c: base.credential,
  n: base.practiceName,
  o: 'praticien',
  a: false,
  p: toBase64Url(tiers.practice),
  x: toBase64Url(tiers.clinical),
}
const secretaryPayload = { ...valid, o: 'secretariat', x: undefined }

describe('pairing payload', () => {
  it('round-trips, and survives the line breaks and spaces of a copy-paste', () => {
    const code = encodePairingCode(info)
    const pasted = `  ${code.slice(0, 40)}\n${code.slice(40, 90)} ${code.slice(90)}\n`
    expect(decodePairingCode(pasted)).toEqual(info)
  })

  it('gives each role the tiers it reads: the root secret to an administrator praticien only, no clinical tier to a secretary', async () => {
    expect(info.rootSecret).toEqual(root)
    expect(info.tiers).toEqual(tiers)
    const decoded = decodePairingCode(encodePairingCode(secretary))
    expect(decoded).toMatchObject({ role: DeviceRole.Secretariat, admin: false, rootSecret: null, tiers: { practice: tiers.practice, clinical: null } })
    const text = new TextDecoder().decode(fromBase64Url(encodePairingCode(secretary).slice('TOURNEE2.'.length)))
    expect(text).toContain(toBase64Url(tiers.practice))
    expect(text).not.toContain(toBase64Url(tiers.clinical))
    expect(text).not.toContain(toBase64Url(root))
    const until = Date.UTC(2027, 0, 31)
    const locum = { ...base, role: DeviceRole.Locum, admin: false, until, ...(await pairingSecretsFor(base.spaceId, root, DeviceRole.Locum, false)) }
    expect(decodePairingCode(encodePairingCode(locum))).toMatchObject({ role: DeviceRole.Locum, until, rootSecret: null, tiers })
  })

  it.each([
    ['empty', '', 'malformed', null],
    ['no prefix', 'hello', 'malformed', null],
    ['an older format', 'TOURNEE1.abc', 'unsupported_version', null],
    ['a future format', 'TOURNEE3.abc', 'unsupported_version', null],
    ['truncated payload', encodePairingCode(info).slice(0, 60), 'malformed', null],
    ['not JSON', 'TOURNEE2.' + toBase64Url(new TextEncoder().encode('{nope')), 'malformed', null],
    ['relay not http(s)', codeOf({ ...valid, r: 'ftp://x' }), 'malformed', 'r'],
    ['bad space id', codeOf({ ...valid, s: 'short' }), 'malformed', 's'],
    ['bad credential', codeOf({ ...valid, c: 'x'.repeat(10) }), 'malformed', 'c'],
    ['short tier secret', codeOf({ ...valid, p: toBase64Url(randomBytes(16)) }), 'malformed', 'p'],
    ['empty practice name', codeOf({ ...valid, n: '' }), 'malformed', 'n'],
    ['unknown role', codeOf({ ...valid, o: 'admin' }), 'malformed', 'o'],
    ['an unknown field', codeOf({ ...valid, z: 1 }), 'malformed', null],
    ['a secretary given the clinical tier', codeOf({ ...secretaryPayload, x: valid.x }), 'malformed', 'x'],
    ['a praticien without the clinical tier', codeOf({ ...valid, x: undefined }), 'malformed', 'x'],
    ['a secretary given the root secret', codeOf({ ...secretaryPayload, k: valid.p }), 'malformed', 'k'],
    ['a non-administrator given the root secret', codeOf({ ...valid, k: valid.p }), 'malformed', 'k'],
    ['an administrator without the root secret', codeOf({ ...valid, a: true }), 'malformed', 'k'],
    ['an administrator secretary', codeOf({ ...secretaryPayload, a: true, k: valid.p }), 'malformed', 'a'],
    ['a locum without an end date', codeOf({ ...valid, o: 'remplacant' }), 'malformed', 'u'],
    ['an end date for a praticien', codeOf({ ...valid, u: 1 }), 'malformed', 'u'],
  ])('refuses %s with a named error', (_label, code, errorCode, path) => {
    let caught: unknown
    try {
      decodePairingCode(code)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(PairingCodeError)
    expect(caught).toMatchObject({ code: errorCode, path })
  })
})
