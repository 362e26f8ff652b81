import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { buildDirectoryDigest } from '../../../shared/src/digest/directory-digest'
import { T0 } from '../../../shared/src/model/test-support'
import { DirectoryDigestHolder } from './digest-source'

describe('DirectoryDigestHolder', () => {
  it('shows the digest set until cleared, and tells its subscribers each time', () => {
    const holder = new DirectoryDigestHolder()
    const first = buildDirectoryDigest(new Y.Doc(), T0)
    const newer = buildDirectoryDigest(new Y.Doc(), T0 + 1)
    let calls = 0
    const unsubscribe = holder.subscribe(() => (calls += 1))
    expect(holder.current()).toBeNull()

    holder.set(first)
    expect(holder.current()).toBe(first)
    expect(calls).toBe(1)
    holder.set(first)
    expect(calls).toBe(1)
    holder.set(newer)
    expect(holder.current()).toBe(newer)
    expect(calls).toBe(2)

    holder.clear()
    expect(holder.current()).toBeNull()
    expect(calls).toBe(3)
    holder.clear()
    expect(calls).toBe(3)

    unsubscribe()
    expect(calls).toBe(3)
  })

  it('ignores a digest arriving after the directory synced', () => {
    const holder = new DirectoryDigestHolder()
    let calls = 0
    holder.subscribe(() => (calls += 1))
    holder.clear()
    expect(calls).toBe(0)
    holder.set(buildDirectoryDigest(new Y.Doc(), T0))
    expect(holder.current()).toBeNull()
    expect(calls).toBe(0)
  })

  it('lets a listener unsubscribe while being notified without skipping the others', () => {
    const holder = new DirectoryDigestHolder()
    const seen: string[] = []
    const offA = holder.subscribe(() => {
      seen.push('a')
      offA()
    })
    holder.subscribe(() => seen.push('b'))
    holder.set(buildDirectoryDigest(new Y.Doc(), T0))
    holder.clear()
    expect(seen).toEqual(['a', 'b', 'b'])
  })
})
