import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import type { DocLease } from '../sync/practice/practice-handle'
import { DocCache } from './doc-cache'

function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** An opener that records every lease taken and released, by doc and priority. */
function leases(open: (docId: string, priority: 'view' | 'prefetch') => Promise<Y.Doc> = async () => new Y.Doc()) {
  const log: string[] = []
  const acquire = async (docId: string, priority: 'view' | 'prefetch'): Promise<DocLease> => {
    log.push(`acquire ${priority} ${docId}`)
    const doc = await open(docId, priority)
    return { doc, release: () => log.push(`release ${priority} ${docId}`) }
  }
  return { log, acquire }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

afterEach(() => {
  vi.useRealTimers()
})

describe('DocCache', () => {
  it('takes one lease per doc, and keeps its entry stable once ready', async () => {
    const opening = deferred<Y.Doc>()
    const { log, acquire } = leases(() => opening.promise)
    const cache = new DocCache(acquire)
    let notified = 0
    cache.subscribe(() => (notified += 1))

    expect(cache.peek('directory').status).toBe('loading')
    cache.retain('directory')
    cache.retain('directory')
    expect(log).toEqual(['acquire view directory'])

    const doc = new Y.Doc({ guid: 'directory' })
    opening.resolve(doc)
    await settle()
    const entry = cache.peek('directory')
    expect(entry).toEqual({ status: 'ready', doc })
    expect(cache.peek('directory')).toBe(entry)
    expect(notified).toBe(1)
    expect(await cache.open('directory')).toBe(doc)
  })

  it('lets the lease go a while after the last view does, and not while a view holds the doc', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    const { log, acquire } = leases()
    const cache = new DocCache(acquire, 1000)
    const first = cache.retain('agenda/2026-11')
    const second = cache.retain('agenda/2026-11')
    await vi.waitFor(() => expect(cache.peek('agenda/2026-11').status).toBe('ready'))
    first()
    vi.advanceTimersByTime(5000)
    expect(log).toEqual(['acquire view agenda/2026-11'])
    second()
    // Mounted again within the linger: the same doc, at once, and the same lease.
    vi.advanceTimersByTime(900)
    const again = cache.retain('agenda/2026-11')
    expect(cache.peek('agenda/2026-11').status).toBe('ready')
    again()
    vi.advanceTimersByTime(1000)
    await vi.waitFor(() => expect(log).toEqual(['acquire view agenda/2026-11', 'release view agenda/2026-11']))
    expect(cache.peek('agenda/2026-11').status).toBe('loading')
  })

  it('holds a doc opened for a write for the linger too', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    const { log, acquire } = leases()
    const cache = new DocCache(acquire, 1000)
    const doc = await cache.open('agenda/2026-12')
    expect(cache.peek('agenda/2026-12')).toEqual({ status: 'ready', doc })
    vi.advanceTimersByTime(1000)
    await vi.waitFor(() => expect(log).toContain('release view agenda/2026-12'))
  })

  it('keeps a failure until asked to retry', async () => {
    let attempt = 0
    const { acquire } = leases(async () => {
      attempt += 1
      if (attempt === 1) throw new Error('quota exceeded')
      return new Y.Doc()
    })
    const cache = new DocCache(acquire)
    cache.retain('agenda/2026-11')
    await settle()
    expect(cache.peek('agenda/2026-11').status).toBe('failed')
    cache.retry('agenda/2026-11')
    await settle()
    expect(cache.peek('agenda/2026-11').status).toBe('ready')
    expect(attempt).toBe(2)
  })

  it('counts changes of the docs it opened', async () => {
    const doc = new Y.Doc()
    const cache = new DocCache(async () => ({ doc, release: () => undefined }))
    await cache.open('directory')
    const version = cache.versionOf(doc)
    const before = version.get()
    doc.getMap('m').set('k', 1)
    expect(version.get()).toBe(before + 1)
    expect(cache.versionOf(doc)).toBe(version)
  })

  it('prefetches with a prefetch lease; a view asking meanwhile takes its own, which need not wait behind it', async () => {
    const prefetching = deferred<Y.Doc>()
    const shownDoc = new Y.Doc()
    const { log, acquire } = leases((_docId, priority) => (priority === 'prefetch' ? prefetching.promise : Promise.resolve(shownDoc)))
    const cache = new DocCache(acquire)
    cache.retain('agenda/2026-12', 'prefetch')
    expect(await cache.open('agenda/2026-12')).toBe(shownDoc)
    expect(log).toEqual(['acquire prefetch agenda/2026-12', 'acquire view agenda/2026-12'])
    expect(cache.peek('agenda/2026-12')).toEqual({ status: 'ready', doc: shownDoc })
    // Held by a view already: a prefetch takes nothing more.
    cache.retain('agenda/2026-12', 'prefetch')
    expect(log).toHaveLength(2)
    prefetching.resolve(shownDoc)
  })
})

describe('DocCache.releaseAll', () => {
  it('ends every lease now, lingering or held, and a later view holds its doc again', async () => {
    vi.useFakeTimers()
    const { log, acquire } = leases()
    const cache = new DocCache(acquire, 60_000)
    const releaseA = cache.retain('agenda/2026-11')
    const releaseB = cache.retain('patient/p1')
    await vi.advanceTimersByTimeAsync(0)
    releaseB()
    cache.releaseAll()
    await vi.advanceTimersByTimeAsync(0)
    expect(log.filter((line) => line.startsWith('release')).sort()).toEqual(['release view agenda/2026-11', 'release view patient/p1'])
    expect(cache.peek('agenda/2026-11')).toEqual({ status: 'loading' })
    expect(vi.getTimerCount(), 'no linger timer keeps a doc').toBe(0)

    // A view's release after the fact does not touch a doc held again since.
    const again = cache.retain('agenda/2026-11')
    releaseA()
    await vi.advanceTimersByTimeAsync(120_000)
    expect(cache.peek('agenda/2026-11').status).toBe('ready')
    again()
  })
})
