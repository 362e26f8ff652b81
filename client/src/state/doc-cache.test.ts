import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
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

describe('DocCache', () => {
  it('opens each doc once and keeps its entry stable once ready', async () => {
    const opening = deferred<Y.Doc>()
    const opened: string[] = []
    const cache = new DocCache((docId) => {
      opened.push(docId)
      return opening.promise
    })
    let notified = 0
    cache.subscribe(() => (notified += 1))

    expect(cache.peek('directory').status).toBe('loading')
    cache.request('directory')
    cache.request('directory')
    expect(opened).toEqual(['directory'])

    const doc = new Y.Doc({ guid: 'directory' })
    opening.resolve(doc)
    await opening.promise
    await Promise.resolve()

    const entry = cache.peek('directory')
    expect(entry).toEqual({ status: 'ready', doc })
    expect(cache.peek('directory')).toBe(entry)
    expect(notified).toBe(1)
    expect(await cache.open('directory')).toBe(doc)
  })

  it('keeps a failure until asked to retry', async () => {
    let attempt = 0
    const cache = new DocCache(async () => {
      attempt += 1
      if (attempt === 1) throw new Error('quota exceeded')
      return new Y.Doc()
    })
    cache.request('agenda/2026-11')
    await new Promise((resolve) => setTimeout(resolve, 0))
    const failed = cache.peek('agenda/2026-11')
    expect(failed.status).toBe('failed')

    cache.retry('agenda/2026-11')
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(cache.peek('agenda/2026-11').status).toBe('ready')
    expect(attempt).toBe(2)
  })

  it('counts changes of the docs it opened', async () => {
    const doc = new Y.Doc()
    const cache = new DocCache(async () => doc)
    await cache.open('directory')
    const version = cache.versionOf(doc)
    const before = version.get()
    doc.getMap('m').set('k', 1)
    expect(version.get()).toBe(before + 1)
    expect(cache.versionOf(doc)).toBe(version)
  })

  it('prefetches through the lower-priority opener, and a view asking meanwhile shares that opening', async () => {
    const prefetching = deferred<Y.Doc>()
    const calls: string[] = []
    const cache = new DocCache(
      (docId) => {
        calls.push(`open ${docId}`)
        return Promise.resolve(new Y.Doc())
      },
      (docId) => {
        calls.push(`prefetch ${docId}`)
        return prefetching.promise
      },
    )
    cache.prefetch('agenda/2026-12')
    const shown = cache.open('agenda/2026-12')
    expect(calls).toEqual(['prefetch agenda/2026-12'])
    expect(cache.peek('agenda/2026-12').status).toBe('loading')
    const doc = new Y.Doc()
    prefetching.resolve(doc)
    expect(await shown).toBe(doc)
    expect(cache.peek('agenda/2026-12')).toEqual({ status: 'ready', doc })
    // Already open: a prefetch changes nothing.
    cache.prefetch('agenda/2026-12')
    expect(calls).toEqual(['prefetch agenda/2026-12'])
  })
})
