/**
 * Two relay nodes' perimeters sharing their per-address buckets through a real Redis
 * (tests/helpers/redis-server.ts): what an address spends on one node is spent on the other; with
 * Redis away, each node decides on its own buckets (limits per node, nobody let in unlimited).
 */
import { describe, expect, it } from 'vitest'
import { useRedisServer } from '../../../tests/helpers/redis-fixture'
import { silentLogger } from '../log'
import { createRelayMetrics } from '../metrics/relay-metrics'
import { waitFor } from '../test-support/wait-for'
import type { Client } from './client-address'
import { DefaultPerimeter, Perimeter, PerimeterRefusal, type PerimeterConfig } from './perimeter'
import { RedisAllowances } from './shared-allowances'

const fixture = useRedisServer()
const { cleanups } = fixture
const remote = (key: string): Client => ({ key, local: false, untrustedForwarding: false })

/** `count` nodes' perimeters, each with its own Redis connection, on one clock. */
async function nodes(count: number, config: Partial<PerimeterConfig>) {
  const clock = { now: 1_800_000_000_000 }
  const made = Array.from({ length: count }, () => {
    const shared = new RedisAllowances(fixture.redis.url, silentLogger)
    cleanups.push(() => shared.close())
    return { shared, perimeter: new Perimeter({ config: { ...DefaultPerimeter, ...config }, logger: silentLogger, metrics: createRelayMetrics(), shared, now: () => clock.now }) }
  })
  // Connected: a call before would decide alone, as when Redis is down.
  await waitFor(async () => {
    for (const { shared } of made) expect((await shared.apply('failures', 'probe', { burst: 1, perSecond: 1 }, 'peek', clock.now)).level).toBe(1)
  })
  return { clock, perimeters: made.map((node) => node.perimeter) }
}

async function guess(perimeter: Perimeter, client: Client): Promise<boolean> {
  const check = await perimeter.beforeCredential(client)
  if (!check.ok) return false
  await check.failed('http')
  return true
}

describe('per-address allowances shared through Redis', () => {
  const config = { failedCredentials: { burst: 4, perMinute: 6 }, spaceCreations: { burst: 2, perHour: 6 } }

  it('an address that spent its failures on one node is refused on the other, and let in again on both once it waited', async () => {
    const { clock, perimeters: [one, two] } = await nodes(2, config)
    const attacker = remote('203.0.113.66')
    const checked = []
    for (let i = 0; i < 12; i++) checked.push(await guess(i % 2 ? one! : two!, attacker))
    // Four failures in all, whichever node they reached: not four per node.
    expect(checked.filter(Boolean)).toHaveLength(4)
    expect(await one!.beforeCredential(attacker)).toMatchObject({ ok: false, reason: PerimeterRefusal.FailedCredentials, retryAfterSeconds: 10 })
    // Another address is not concerned.
    expect((await two!.beforeCredential(remote('198.51.100.4'))).ok).toBe(true)
    clock.now += 10_000
    expect(await guess(two!, attacker)).toBe(true)
    expect(await guess(one!, attacker)).toBe(false)
  })

  it('counts practice creations across nodes, and a creation given back is back on every node', async () => {
    const { perimeters: [one, two] } = await nodes(2, config)
    const a = remote('203.0.113.9')
    const first = await one!.reserveSpaceCreation(a)
    const second = await two!.reserveSpaceCreation(a)
    expect(first.ok && second.ok).toBe(true)
    expect(await one!.reserveSpaceCreation(a)).toMatchObject({ ok: false, reason: PerimeterRefusal.SpaceCreations })
    if (second.ok) second.release()
    await waitFor(async () => {
      const again = await one!.reserveSpaceCreation(a)
      expect(again.ok).toBe(true)
    })
  })

  it('Redis away: each node decides on its own buckets, which kept count all along', async () => {
    const { perimeters: [one, two] } = await nodes(2, config)
    // An address of its own: Redis still holds the first test's.
    const attacker = remote('203.0.113.77')
    for (let i = 0; i < 4; i++) expect(await guess(one!, attacker)).toBe(true)
    await fixture.redis.stop()
    // Node one saw the four failures itself: still refused. Node two saw none: its own allowance.
    expect((await one!.beforeCredential(attacker)).ok).toBe(false)
    const onTwo = []
    for (let i = 0; i < 8; i++) onTwo.push(await guess(two!, attacker))
    expect(onTwo.filter(Boolean)).toHaveLength(4)
  })
})
