import { describe, expect, it } from 'vitest'
import { fromBase64Url, toBase64Url } from '../crypto/base64url'
import { makeDeviceIdentity, publicKeysOf } from './device-identity'
import { decodePairingQr, encodePairingQr, PairingQrError, PairingQrFailure } from './pairing-qr'

const identity = await makeDeviceIdentity()
const joining = await publicKeysOf(identity)
const code = '7KQ2MX9D4R'
const text = encodePairingQr({ code, joining })

function failureOf(read: string): PairingQrFailure | 'accepted' {
  try {
    decodePairingQr(read)
    return 'accepted'
  } catch (error) {
    if (!(error instanceof PairingQrError)) throw error
    return error.failure
  }
}

describe('pairing QR payload', () => {
  it('round-trips the code and both keys in one versioned line', () => {
    expect(text).toBe(`TOURNEE-PAIR1:${code}.${joining.agree}.${joining.sign}`)
    expect(text).toHaveLength(200)
    expect(decodePairingQr(text)).toEqual({ code, joining })
  })

  const otherPoint = (() => {
    const bytes = fromBase64Url(joining.sign)
    bytes[0] = 0x02
    return toBase64Url(bytes)
  })()

  it.each([
    ['a web address', 'https://example.fr/', PairingQrFailure.Foreign],
    ['the typed code alone', code, PairingQrFailure.Foreign],
    ['a lower-case prefix', text.replace('TOURNEE-PAIR', 'tournee-pair'), PairingQrFailure.Foreign],
    ['a newer version', text.replace('PAIR1:', 'PAIR2:'), PairingQrFailure.Version],
    ['version 0', text.replace('PAIR1:', 'PAIR0:'), PairingQrFailure.Version],
    ['a missing key', `TOURNEE-PAIR1:${code}.${joining.agree}`, PairingQrFailure.Malformed],
    ['an extra field', `${text}.x`, PairingQrFailure.Malformed],
    ['trailing text', `${text} `, PairingQrFailure.Malformed],
    ['a code with a letter Crockford leaves out', text.replace(code, '7KQ2MX9D4U'), PairingQrFailure.Malformed],
    ['a short code', text.replace(code, '7KQ2MX9D4'), PairingQrFailure.Malformed],
    ['a key cut short', text.slice(0, -1), PairingQrFailure.Malformed],
    ['a key with a character outside base64url', text.slice(0, -1) + '+', PairingQrFailure.Malformed],
    ['a compressed point where the raw point goes', `TOURNEE-PAIR1:${code}.${joining.agree}.${otherPoint}`, PairingQrFailure.Malformed],
    ['an empty text', '', PairingQrFailure.Foreign],
  ])('refuses %s with a named failure', (_what, read, failure) => {
    expect(failureOf(read)).toBe(failure)
  })
})
