import { describe, expect, it } from 'vitest'
import { randomBytes, randomId, toBase64Url } from '../crypto/base64url'
import { decodePairingCode, encodePairingCode, PairingCodeError, type PairingInfo } from './pairing-code'

const info: PairingInfo = {
  relayUrl: 'https://relais.cabinet.example',
  spaceId: randomId(16),
  credential: randomId(32),
  rootSecret: randomBytes(32),
  practiceName: 'Cabinet de kinésithérapie des Tilleuls',
  layout: 2,
}

function codeOf(payload: unknown): string {
  return 'TOURNEE1.' + toBase64Url(new TextEncoder().encode(JSON.stringify(payload)))
}

const valid = { v: 1, r: info.relayUrl, s: info.spaceId, c: info.credential, k: toBase64Url(info.rootSecret), n: info.practiceName }

describe('pairing code', () => {
  it('round-trips, and survives the line breaks and spaces of a copy-paste', () => {
    const code = encodePairingCode(info)
    const pasted = `  ${code.slice(0, 40)}\n${code.slice(40, 90)} ${code.slice(90)}\n`
    expect(decodePairingCode(pasted)).toEqual(info)
  })

  it('carries the layout: 1 before rooms, 2 with a room per year, 3 with a room per month', () => {
    expect(decodePairingCode(encodePairingCode({ ...info, layout: 1 })).layout).toBe(1)
    expect(decodePairingCode(encodePairingCode(info)).layout).toBe(2)
    expect(decodePairingCode(encodePairingCode({ ...info, layout: 3 })).layout).toBe(3)
    expect(decodePairingCode(codeOf({ ...valid, v: 3 })).layout).toBe(3)
    // A code an older app showed (no rooms then) opens the practice in layout 1.
    expect(decodePairingCode(codeOf(valid)).layout).toBe(1)
  })

  it.each([
    ['empty', '', 'malformed', null],
    ['no prefix', 'hello', 'malformed', null],
    ['future version', 'TOURNEE2.abc', 'unsupported_version', null],
    ['truncated payload', encodePairingCode(info).slice(0, 60), 'malformed', null],
    ['not JSON', 'TOURNEE1.' + toBase64Url(new TextEncoder().encode('{nope')), 'malformed', null],
    ['unknown layout 4', codeOf({ ...valid, v: 4 }), 'unsupported_version', 'v'],
    ['layout as a string', codeOf({ ...valid, v: '3' }), 'unsupported_version', 'v'],
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

  it('names the unknown layout in its error, so the person knows to update the app', () => {
    expect(() => decodePairingCode(codeOf({ ...valid, v: 4 }))).toThrow(/layout 4: update the app/)
  })
})
