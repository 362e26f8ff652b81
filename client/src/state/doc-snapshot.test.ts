import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DocSnapshotStore, DocVersion } from './doc-snapshot'
import { afterQueuedTasks } from '../sync/decode/after-this-task'

function namesOf(doc: Y.Doc): string[] {
  return [...doc.getMap<string>('people').values()].sort()
}

describe('DocSnapshotStore', () => {
  it('returns the same snapshot until the doc changes', () => {
    const doc = new Y.Doc()
    doc.getMap<string>('people').set('a', 'Alice')
    let reads = 0
    const store = new DocSnapshotStore(doc, new DocVersion(doc), (d) => {
      reads += 1
      return namesOf(d)
    })
    const first = store.getSnapshot()
    expect(store.getSnapshot()).toBe(first)
    expect(store.getSnapshot()).toBe(first)
    expect(reads).toBe(1)
    expect(first).toEqual(['Alice'])
  })

  it('counts a transaction that inserted or only deleted, not one that changed nothing', () => {
    const doc = new Y.Doc()
    const version = new DocVersion(doc)
    const people = doc.getMap<string>('people')
    people.set('a', 'Alice')
    expect(version.get()).toBe(1)
    doc.transact(() => {})
    people.delete('nobody')
    expect(version.get()).toBe(1)
    people.delete('a')
    expect(version.get()).toBe(2)
    const remote = new Y.Doc()
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc))
    remote.getMap<string>('people').set('b', 'Bob')
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote))
    expect(version.get()).toBe(3)
    // The same update again brings nothing new.
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote))
    expect(version.get()).toBe(3)
  })

  it('reads again after a local or a remote change, and notifies subscribers: a remote one from a task of its own', async () => {
    const doc = new Y.Doc()
    const version = new DocVersion(doc)
    const store = new DocSnapshotStore(doc, version, namesOf)
    let notified = 0
    const unsubscribe = store.subscribe(() => (notified += 1))
    const before = store.getSnapshot()

    doc.getMap<string>('people').set('b', 'Bob')
    const afterLocal = store.getSnapshot()
    expect(afterLocal).not.toBe(before)
    expect(afterLocal).toEqual(['Bob'])

    const remote = new Y.Doc()
    remote.getMap<string>('people').set('c', 'Chloé')
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote))
    expect(store.getSnapshot()).toEqual(['Bob', 'Chloé'])
    // A slice of a sync is one task; the views render in the next one, once for all that arrived.
    expect(notified).toBe(1)
    remote.getMap<string>('people').set('f', 'Fanny')
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote))
    expect(notified).toBe(1)
    await afterQueuedTasks()
    expect(notified).toBe(2)
    expect(store.getSnapshot()).toEqual(['Bob', 'Chloé', 'Fanny'])

    unsubscribe()
    doc.getMap<string>('people').set('d', 'Dan')
    expect(notified).toBe(2)
    // Still counted while nobody listens: the next reader sees the change.
    expect(store.getSnapshot()).toEqual(['Bob', 'Chloé', 'Dan', 'Fanny'])
  })

  it('sees a change made before its first subscription', () => {
    const doc = new Y.Doc()
    const version = new DocVersion(doc)
    const store = new DocSnapshotStore(doc, version, namesOf)
    const rendered = store.getSnapshot()
    doc.getMap<string>('people').set('e', 'Eve')
    store.subscribe(() => {})
    expect(store.getSnapshot()).not.toBe(rendered)
  })
})
