import { describe, expect, it } from 'vitest'
import { DocLeases } from './doc-leases'

describe('DocLeases', () => {
  it('counts a room in use while a lease is held, and for the grace period after the last one ends', () => {
    let now = 1_000
    const leases = new DocLeases(() => now)
    const first = leases.acquire('agenda/2026-11', 'view')
    const second = leases.acquire('agenda/2026-11', 'view')
    first()
    first()
    expect(leases.usage(100)).toEqual(new Map([['agenda/2026-11', 'view']]))
    second()
    expect(leases.nextExpiry(100)).toBe(1_100)
    now = 1_099
    expect(leases.usage(100)).toEqual(new Map([['agenda/2026-11', 'view']]))
    now = 1_100
    expect(leases.usage(100)).toEqual(new Map())
    expect(leases.nextExpiry(100)).toBeNull()
  })

  it('tells rooms only prefetched from rooms a view holds, and keeps that use through the grace period', () => {
    const now = 0
    const leases = new DocLeases(() => now)
    const prefetch = leases.acquire('agenda/2026-12', 'prefetch')
    const view = leases.acquire('agenda/2026-12', 'view')
    expect(leases.usage(10).get('agenda/2026-12')).toBe('view')
    view()
    expect(leases.usage(10).get('agenda/2026-12')).toBe('prefetch')
    prefetch()
    expect(leases.usage(10).get('agenda/2026-12')).toBe('prefetch')
  })

  it('never lets a pinned room go', () => {
    let now = 0
    const leases = new DocLeases(() => now)
    leases.acquire('files/3', 'pin')()
    now = 10 ** 12
    expect(leases.usage(10).get('files/3')).toBe('view')
    expect(leases.nextExpiry(10)).toBeNull()
  })
})
