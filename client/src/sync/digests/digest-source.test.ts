import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { buildDirectoryDigest } from '../../../../shared/src/digest/directory-digest'
import { buildWeekDigest } from '../../../../shared/src/digest/week-digest'
import { T0 } from '../../../../shared/src/model/test-support'
import { DirectoryDigestHolder, WeekDigestHolder } from './digest-source'
import { afterQueuedTasks } from '../decode/after-this-task'

describe('DirectoryDigestHolder', () => {
  it('shows the digest set until cleared, and tells its subscribers each time, from a task of their own', async () => {
    const holder = new DirectoryDigestHolder()
    const first = buildDirectoryDigest(new Y.Doc(), T0)
    const newer = buildDirectoryDigest(new Y.Doc(), T0 + 1)
    let calls = 0
    const unsubscribe = holder.subscribe(() => (calls += 1))
    expect(holder.current()).toBeNull()

    holder.set(first)
    expect(holder.current()).toBe(first)
    expect(calls).toBe(0)
    await afterQueuedTasks()
    expect(calls).toBe(1)
    holder.set(first)
    await afterQueuedTasks()
    expect(calls).toBe(1)
    holder.set(newer)
    expect(holder.current()).toBe(newer)
    await afterQueuedTasks()
    expect(calls).toBe(2)

    holder.clear()
    expect(holder.current()).toBeNull()
    await afterQueuedTasks()
    expect(calls).toBe(3)
    holder.clear()
    await afterQueuedTasks()
    expect(calls).toBe(3)

    unsubscribe()
    holder.set(first)
    await afterQueuedTasks()
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

  it('lets a listener unsubscribe while being notified without skipping the others', async () => {
    const holder = new DirectoryDigestHolder()
    const seen: string[] = []
    const offA = holder.subscribe(() => {
      seen.push('a')
      offA()
    })
    holder.subscribe(() => seen.push('b'))
    holder.set(buildDirectoryDigest(new Y.Doc(), T0))
    await afterQueuedTasks()
    holder.clear()
    await afterQueuedTasks()
    expect(seen).toEqual(['a', 'b', 'b'])
  })
})

describe('WeekDigestHolder', () => {
  it('keeps the digest it showed for beforeClear once cleared; the directory holder until released', () => {
    const week = new WeekDigestHolder()
    const digest = buildWeekDigest([new Y.Doc()], '2026-11-25', T0)
    expect(week.beforeClear()).toBeNull()
    week.set(digest)
    expect(week.beforeClear()).toBeNull()
    week.clear()
    expect(week.current()).toBeNull()
    expect(week.beforeClear()).toBe(digest)

    // The directory's 20,000 patients stay only while the views' index of the live doc builds.
    const directory = new DirectoryDigestHolder()
    const shown = buildDirectoryDigest(new Y.Doc(), T0)
    directory.set(shown)
    directory.clear()
    expect(directory.beforeClear()).toBe(shown)
    directory.release()
    expect(directory.beforeClear()).toBeNull()
  })
})
