import { describe, expect, it } from 'vitest'
import { digestEtag, readDigestPrecondition } from './digest-precondition'

describe('readDigestPrecondition', () => {
  it('reads If-None-Match: * as "none stored yet" and If-Match as the version read', () => {
    expect(readDigestPrecondition(undefined, '*')).toEqual({ ok: true, precondition: { kind: 'absent' } })
    expect(readDigestPrecondition(digestEtag(12), undefined)).toEqual({ ok: true, precondition: { kind: 'version', version: 12 } })
    expect(readDigestPrecondition(' "1" ', undefined)).toEqual({ ok: true, precondition: { kind: 'version', version: 1 } })
  })

  it('requires one precondition (428): a blind overwrite is what let a forged digest stay', () => {
    expect(readDigestPrecondition(undefined, undefined)).toMatchObject({ ok: false, status: 428, field: 'if-match' })
  })

  it.each([
    ['both headers', '"1"', '*'],
    ['If-None-Match of an ETag', undefined, '"1"'],
    ['an unquoted version', '1', undefined],
    ['a weak ETag', 'W/"1"', undefined],
    ['a list of ETags', '"1", "2"', undefined],
    ['If-Match: *', '*', undefined],
    ['version 0', '"0"', undefined],
    ['beyond a safe integer', '"99999999999999999"', undefined],
    ['not a number', '"abc"', undefined],
  ])('refuses %s with 400', (_label, ifMatch, ifNoneMatch) => {
    expect(readDigestPrecondition(ifMatch, ifNoneMatch)).toMatchObject({ ok: false, status: 400, field: 'if-match' })
  })
})
