/**
 * The lock's PIN: 4 to 8 digits, kept as a salted PBKDF2-SHA-256 hash (never the PIN), checked
 * against the hash; and the attempt policy (waits after the third failure, forgotten at the
 * fifth), on an injected clock.
 */
import { describe, expect, it } from 'vitest'
import { attemptsLeft, exhausted, nextAttemptAt, NO_ATTEMPTS, PIN_ATTEMPTS, waitAfter } from './attempts'
import { checkPin, hashPin, PIN_DIGITS, PIN_ITERATIONS, PinFormatError, pinMatches } from './pin'

describe('checkPin', () => {
  it('takes 4 to 8 digits and nothing else, saying why', () => {
    expect(PIN_DIGITS).toEqual({ min: 4, max: 8 })
    for (const pin of ['0000', '1234', '12345678', '00000']) expect(checkPin(pin), pin).toBeNull()
    expect(checkPin('')).toBe('required')
    expect(checkPin('123')).toBe('too_short')
    expect(checkPin('123456789')).toBe('too_long')
    for (const pin of ['12a4', '12 34', '１２３４', '-1234', '12.34', '١٢٣٤']) expect(checkPin(pin), pin).toBe('not_digits')
  })
})

describe('hashPin / pinMatches', () => {
  it('keeps a salted 256-bit hash with its iteration count, never the PIN', async () => {
    const stored = await hashPin('2468', { iterations: 1_000 })
    expect(stored.iterations).toBe(1_000)
    expect(stored.salt).toHaveLength(16)
    expect(stored.hash).toHaveLength(32)
    expect(new TextDecoder().decode(stored.hash)).not.toContain('2468')
    expect(await pinMatches('2468', stored)).toBe(true)
    for (const wrong of ['2469', '24680', '0246', '', 'abcd']) expect(await pinMatches(wrong, stored), wrong).toBe(false)
  })

  it('salts each hash: the same PIN twice gives two hashes', async () => {
    const [a, b] = await Promise.all([hashPin('1357', { iterations: 1_000 }), hashPin('1357', { iterations: 1_000 })])
    expect(a.salt).not.toEqual(b.salt)
    expect(a.hash).not.toEqual(b.hash)
  })

  it('is PBKDF2-HMAC-SHA-256 with 600,000 iterations by default', async () => {
    expect(PIN_ITERATIONS).toBe(600_000)
    const stored = await hashPin('9753')
    expect(stored.iterations).toBe(600_000)
    const material = await crypto.subtle.importKey('raw', new TextEncoder().encode('9753'), 'PBKDF2', false, ['deriveBits'])
    const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: stored.salt as BufferSource, iterations: 600_000 }, material, 256)
    expect(new Uint8Array(bits)).toEqual(stored.hash)
  })

  it('refuses to hash an invalid PIN', async () => {
    await expect(hashPin('12')).rejects.toBeInstanceOf(PinFormatError)
    await expect(hashPin('12345678901')).rejects.toMatchObject({ problem: 'too_long' })
  })
})

describe('the attempt policy', () => {
  const T0 = Date.UTC(2026, 10, 18, 9)

  it('answers three failures at once, then waits 30 s, then 60 s, and forgets at the fifth', () => {
    expect(PIN_ATTEMPTS).toEqual({ max: 5, free: 3, firstWaitMs: 30_000 })
    expect([0, 1, 2, 3, 4].map(waitAfter)).toEqual([0, 0, 0, 30_000, 60_000])
    expect([0, 1, 4, 5, 6].map(attemptsLeft)).toEqual([5, 4, 1, 0, 0])
    expect([4, 5, 6].map(exhausted)).toEqual([false, true, true])
  })

  it('says when the next attempt may be made, on the clock it is given', () => {
    expect(nextAttemptAt(NO_ATTEMPTS, T0)).toBeNull()
    expect(nextAttemptAt({ failures: 2, lastAttemptAt: T0 }, T0 + 1)).toBeNull()
    expect(nextAttemptAt({ failures: 3, lastAttemptAt: T0 }, T0 + 1_000)).toBe(T0 + 30_000)
    expect(nextAttemptAt({ failures: 3, lastAttemptAt: T0 }, T0 + 30_000)).toBeNull()
    expect(nextAttemptAt({ failures: 4, lastAttemptAt: T0 }, T0 + 59_999)).toBe(T0 + 60_000)
    expect(nextAttemptAt({ failures: 4, lastAttemptAt: T0 }, T0 + 60_000)).toBeNull()
  })

  it('never waits longer than the wait itself when the clock went back', () => {
    // The last failure stored "in the future" (the device's clock was set back since).
    expect(nextAttemptAt({ failures: 3, lastAttemptAt: T0 + 86_400_000 }, T0)).toBe(T0 + 30_000)
  })
})
