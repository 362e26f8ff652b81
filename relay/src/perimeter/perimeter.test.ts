import { describe, expect, it } from 'vitest'
import { createLogger } from '../log'
import { createRelayMetrics } from '../metrics/relay-metrics'
import type { Client } from './client-address'
import { CONNECTIONS_RETRY_AFTER_SECONDS, DefaultPerimeter, Perimeter, PerimeterRefusal, type PerimeterConfig, type Refused } from './perimeter'

const remote = (key: string): Client => ({ key, local: false, untrustedForwarding: false })
const LOCAL: Client = { key: '127.0.0.1', local: true, untrustedForwarding: false }

/** A perimeter on a fixed clock (advanced by hand), with its log lines and metrics. */
function setup(config: Partial<PerimeterConfig> = {}) {
  const clock = { now: 1_000_000 }
  const lines: Record<string, unknown>[] = []
  const metrics = createRelayMetrics()
  const perimeter = new Perimeter({
    config: { ...DefaultPerimeter, ...config },
    logger: createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
    metrics,
    now: () => clock.now,
  })
  const refusals = (reason: string) => metrics.registry.value('tournee_perimeter_refusals_total', { reason })
  return { clock, lines, metrics, perimeter, refusals }
}

/** A credential check of `client` that passes at once (a right credential): null, or the refusal. */
async function check(perimeter: Perimeter, client: Client): Promise<Refused | null> {
  const checked = await perimeter.beforeCredential(client)
  if (!checked.ok) return checked
  checked.passed()
  return null
}

describe('failed credentials', () => {
  const config = { failedCredentials: { burst: 3, perMinute: 6 } } // a token every 10 s

  it('lets an address fail `burst` times, then answers 429 with the time until the next try', async () => {
    const { perimeter, clock, refusals } = setup(config)
    const a = remote('203.0.113.9')
    for (let i = 0; i < 3; i++) {
      const checked = await perimeter.beforeCredential(a)
      if (!checked.ok) throw new Error(`refused at failure ${i}`)
      await checked.failed('http')
    }
    expect(await check(perimeter, a)).toEqual({ ok: false, reason: PerimeterRefusal.FailedCredentials, retryAfterSeconds: 10 })
    clock.now += 4_000
    expect((await check(perimeter, a))?.retryAfterSeconds).toBe(6)
    clock.now += 6_000
    expect(await check(perimeter, a)).toBeNull()
    expect(refusals('failed_credentials')).toBe(2)
  })

  it('never locks out a device that waits Retry-After between attempts, however long it keeps failing', async () => {
    const { perimeter, clock } = setup(config)
    const device = remote('198.51.100.4')
    let attempts = 0
    for (let step = 0; step < 500; step++) {
      const refused = await check(perimeter, device)
      if (refused) {
        expect(refused.retryAfterSeconds).toBeLessThanOrEqual(10)
        clock.now += refused.retryAfterSeconds * 1000
        // Having waited what it was told, the device is let in.
        expect(await check(perimeter, device)).toBeNull()
      }
      attempts++
      await perimeter.credentialFailed(device, 'websocket')
    }
    expect(attempts).toBe(500)
  })

  it('counts only failures: an address whose credentials are right is never throttled', async () => {
    const { perimeter } = setup(config)
    const a = remote('203.0.113.9')
    for (let i = 0; i < 1000; i++) expect(await check(perimeter, a)).toBeNull()
    // Right credentials checked many at once: an address that has not failed is not held back.
    const together = await Promise.all(Array.from({ length: 100 }, () => perimeter.beforeCredential(a)))
    expect(together.every((checked) => checked.ok)).toBe(true)
    for (const checked of together) if (checked.ok) checked.passed()
    expect(perimeter.trackedAddresses()).toBe(0)
  })

  it('once an address has failed, lets no more of its checks run at once than it has failures left', async () => {
    const { perimeter } = setup(config)
    const a = remote('203.0.113.9')
    await perimeter.credentialFailed(a, 'http') // 2 failures left
    // Three guesses sent together: two are checked, the third is refused before its lookup.
    const together = await Promise.all([1, 2, 3].map(() => perimeter.beforeCredential(a)))
    expect(together.map((checked) => checked.ok)).toEqual([true, true, false])
    for (const checked of together) if (checked.ok) await checked.failed('http')
    expect(await check(perimeter, a)).toMatchObject({ reason: PerimeterRefusal.FailedCredentials })
  })

  it('keeps addresses apart, and never limits this machine', async () => {
    const { perimeter } = setup(config)
    for (let i = 0; i < 10; i++) {
      await perimeter.credentialFailed(remote('203.0.113.9'), 'http')
      await perimeter.credentialFailed(LOCAL, 'http')
    }
    expect(await check(perimeter, remote('203.0.113.9'))).not.toBeNull()
    expect(await check(perimeter, remote('203.0.113.10'))).toBeNull()
    expect(await check(perimeter, LOCAL)).toBeNull()
  })

  it('logs the failure that throttles an address, and its refusals at most once a minute, with no credential', async () => {
    const { perimeter, clock, lines, metrics } = setup(config)
    const a = remote('203.0.113.9')
    for (let i = 0; i < 3; i++) await perimeter.credentialFailed(a, 'websocket')
    for (let i = 0; i < 50; i++) await check(perimeter, a)
    clock.now += 60_000 // refilled: three more failures throttle it again
    for (let i = 0; i < 3; i++) await perimeter.credentialFailed(a, 'websocket')
    for (let i = 0; i < 50; i++) await check(perimeter, a)
    expect(lines.map((line) => line.event)).toEqual(['address_throttled', 'perimeter_refused', 'address_throttled', 'perimeter_refused'])
    expect(lines[0]).toMatchObject({ level: 'warn', address: '203.0.113.9', reason: 'failed_credentials', surface: 'websocket' })
    expect(lines[1]).toMatchObject({ level: 'info', address: '203.0.113.9', reason: 'failed_credentials', retryAfterSeconds: 10 })
    expect(metrics.registry.value('tournee_credential_failures_total', { surface: 'websocket' })).toBe(6)
    expect(metrics.registry.value('tournee_perimeter_refusals_total', { reason: 'failed_credentials' })).toBe(100)
  })
})

describe('connections', () => {
  it('caps open sockets per address, frees a slot when one closes, and releases once', () => {
    const { perimeter, refusals } = setup({ maxConnectionsPerAddress: 2 })
    const a = remote('203.0.113.9')
    const first = perimeter.openConnection(a)
    const second = perimeter.openConnection(a)
    expect(first.ok && second.ok).toBe(true)
    expect(perimeter.openConnection(a)).toEqual({ ok: false, reason: PerimeterRefusal.Connections, retryAfterSeconds: CONNECTIONS_RETRY_AFTER_SECONDS })
    expect(perimeter.openConnection(remote('203.0.113.10')).ok).toBe(true)
    if (!first.ok) throw new Error('unreachable')
    first.release()
    first.release()
    expect(perimeter.openConnection(a).ok).toBe(true)
    expect(perimeter.openConnection(a).ok).toBe(false)
    expect(refusals('connections')).toBe(2)
  })

  it('does not count this machine', () => {
    const { perimeter } = setup({ maxConnectionsPerAddress: 1 })
    for (let i = 0; i < 10; i++) expect(perimeter.openConnection(LOCAL).ok).toBe(true)
  })
})

describe('space creations', () => {
  const config = { spaceCreations: { burst: 2, perHour: 6 } } // a token every 10 minutes

  it('allows `burst` creations, then one per interval; a creation that did not happen gives its token back', async () => {
    const { perimeter, clock } = setup(config)
    const a = remote('203.0.113.9')
    const first = await perimeter.reserveSpaceCreation(a)
    const retry = await perimeter.reserveSpaceCreation(a)
    if (!retry.ok) throw new Error('the second creation fits the burst')
    retry.release() // the space already existed: nothing created
    expect((await perimeter.reserveSpaceCreation(a)).ok).toBe(true)
    expect(first.ok).toBe(true)
    expect(await perimeter.reserveSpaceCreation(a)).toEqual({ ok: false, reason: PerimeterRefusal.SpaceCreations, retryAfterSeconds: 600 })
    clock.now += 600_000
    expect((await perimeter.reserveSpaceCreation(a)).ok).toBe(true)
    expect((await perimeter.reserveSpaceCreation(LOCAL)).ok).toBe(true)
  })
})

describe('memory', () => {
  it('holds at most maxTrackedAddresses entries, never forgetting one with open sockets', async () => {
    const { perimeter } = setup({ maxTrackedAddresses: 100, maxConnectionsPerAddress: 1 })
    const holder = remote('198.51.100.1')
    expect(perimeter.openConnection(holder).ok).toBe(true)
    for (let i = 0; i < 5000; i++) await perimeter.credentialFailed(remote(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`), 'http')
    expect(perimeter.trackedAddresses()).toBeLessThanOrEqual(100)
    // The holder's socket is still counted: a second one is refused.
    expect(perimeter.openConnection(holder).ok).toBe(false)
  })

  it('forgets idle addresses once their buckets have refilled', async () => {
    const { perimeter, clock } = setup({ failedCredentials: { burst: 3, perMinute: 60 } })
    for (let i = 0; i < 50; i++) await perimeter.credentialFailed(remote(`203.0.113.${i}`), 'http')
    expect(perimeter.trackedAddresses()).toBe(50)
    clock.now += 10_000 // every bucket full again
    for (let i = 0; i < 30; i++) await perimeter.credentialFailed(remote(`198.51.100.${i}`), 'http')
    // Each new entry drops up to two idle ones from the old end.
    expect(perimeter.trackedAddresses()).toBeLessThanOrEqual(50 + 30 - 50)
  })

  it('forgets an address whose last socket closed and that owes nothing', () => {
    const { perimeter } = setup()
    const slot = perimeter.openConnection(remote('203.0.113.9'))
    expect(perimeter.trackedAddresses()).toBe(1)
    if (slot.ok) slot.release()
    expect(perimeter.trackedAddresses()).toBe(0)
  })
})

describe('forwarding', () => {
  it('warns once when a proxy forwards requests the relay was not told to trust', () => {
    const { perimeter, lines } = setup()
    const source = { peer: '127.0.0.1', header: (name: string) => (name === 'x-forwarded-for' ? '203.0.113.9' : undefined) }
    for (let i = 0; i < 3; i++) expect(perimeter.client(source)).toMatchObject({ key: '127.0.0.1', local: false })
    expect(lines.filter((line) => line.event === 'forwarded_without_trust_proxy')).toHaveLength(1)
  })
})
