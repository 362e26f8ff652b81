import { describe, expect, it } from 'vitest'
import { randomBytes, randomId, toBase64Url } from '../crypto/base64url'
import { decodePairingCode, encodePairingCode, PairingCodeError, type PairingInfo } from './pairing-code'

const info: PairingInfo = {
  relayUrl: 'https://relais.cabinet.example',
  spaceId: randomId(16),
  credential: randomId(32),
  rootSecret: randomBytes(32),
  practiceName: 'Cabinet de kinésithérapie des Tilleuls',
}

function codeOf(payload: unknown): string {
  return 'TOURNEE1.' + toBase64Url(new TextEncoder().encode(JSON.stringify(payload)))
}

const valid = { r: info.relayUrl, s: info.spaceId, c: info.credential, k: toBase64Url(info.rootSecret), n: info.practiceName }

describe('pairing code', () => {
  it('round-trips, and survives the line breaks and spaces of a copy-paste', () => {
    const code = encodePairingCode(info)
    const pasted = `  ${code.slice(0, 40)}\n${code.slice(40, 90)} ${code.slice(90)}\n`
    expect(decodePairingCode(pasted)).toEqual(info)
  })

  it.each([
    ['empty', '', 'malformed', null],
    ['no prefix', 'hello', 'malformed', null],
    ['future format', 'TOURNEE2.abc', 'unsupported_version', null],
    ['truncated payload', encodePairingCode(info).slice(0, 60), 'malformed', null],
    ['not JSON', 'TOURNEE1.' + toBase64Url(new TextEncoder().encode('{nope')), 'malformed', null],
    ['relay not http(s)', codeOf({ ...valid, r: 'ftp://x' }), 'malformed', 'r'],
    ['bad space id', codeOf({ ...valid, s: 'short' }), 'malformed', 's'],
    ['bad credential', codeOf({ ...valid, c: 'x'.repeat(10) }), 'malformed', 'c'],
    ['short key', codeOf({ ...valid, k: toBase64Url(randomBytes(16)) }), 'malformed', 'k'],
    ['empty practice name', codeOf({ ...valid, n: '' }), 'malformed', 'n'],
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
