import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DocCache } from './doc-cache'
import { DocsSnapshotStore } from './docs-snapshot'

function deferredCache() {
  const pending = new Map<string, (doc: Y.Doc) => void>()
  const cache = new DocCache((id) => new Promise<Y.Doc>((resolve) => pending.set(id, resolve)).then((doc) => ({ doc, release: () => undefined })))
  return { cache, open: (id: string, doc: Y.Doc) => pending.get(id)?.(doc) }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('DocsSnapshotStore', () => {
  it('reads the docs that are open, says when all are, and re-reads when one changes', async () => {
    const { cache, open } = deferredCache()
    const store = new DocsSnapshotStore(cache, ['a', 'b'], (docs) => docs.map((d) => d.getText('t').toString()).join('+'))
    let notified = 0
    const off = store.subscribe(() => notified++)
    expect(store.getSnapshot()).toEqual({ value: '', complete: false })
    const a = new Y.Doc()
    a.getText('t').insert(0, 'A')
    open('a', a)
    await flush()
    expect(store.getSnapshot()).toEqual({ value: 'A', complete: false })
    const b = new Y.Doc()
    open('b', b)
    await flush()
    const first = store.getSnapshot()
    expect(first).toEqual({ value: 'A+', complete: true })
    // Same versions, same snapshot object (React would loop otherwise).
    expect(store.getSnapshot()).toBe(first)
    const before = notified
    b.getText('t').insert(0, 'B')
    expect(notified).toBeGreaterThan(before)
    expect(store.getSnapshot()).toEqual({ value: 'A+B', complete: true })
    off()
  })
})
