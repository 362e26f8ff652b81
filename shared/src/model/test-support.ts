/** Helpers for the model's tests: replicas that exchange updates explicitly, fixed actors and clock. */
import * as Y from 'yjs'
import type { Actor, Clock } from './actor'

export const alice: Actor = { memberId: 'member-alice', deviceId: 'device-alice-phone' }
export const bob: Actor = { memberId: 'member-bob', deviceId: 'device-bob-laptop' }

/** 2026-11-02T08:00:00Z, a Monday morning in Paris. */
export const T0 = Date.UTC(2026, 10, 2, 8, 0)

/** A clock that advances one second per call, so stamps are distinct and predictable. */
export function steppingClock(start = T0): Clock {
  let now = start - 1000
  return () => (now += 1000)
}

/** Sends each replica what the other lacks, as the sync layer would after a reconnect. */
export function exchange(a: Y.Doc, b: Y.Doc): void {
  const toB = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b))
  const toA = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a))
  Y.applyUpdate(b, toB)
  Y.applyUpdate(a, toA)
}

/** A second replica holding everything `doc` holds now. */
export function fork(doc: Y.Doc, guid = doc.guid): Y.Doc {
  const copy = new Y.Doc({ guid })
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
  return copy
}

/** A seeded PRNG in [0, 1) (mulberry32): small, good enough to shuffle randomized tests' operations. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * One device's docs of a practice, in memory: the directory, and every other doc opened by id
 * (its guid is its doc id, as the app's doc cache makes it, so an agenda month knows its month).
 */
export class PracticeReplica {
  private readonly docs = new Map<string, Y.Doc>()

  constructor(readonly directory: Y.Doc = new Y.Doc()) {}

  readonly openDoc = (docId: string): Promise<Y.Doc> => Promise.resolve(this.doc(docId))

  private doc(docId: string): Y.Doc {
    let doc = this.docs.get(docId)
    if (!doc) {
      doc = new Y.Doc({ guid: docId })
      this.docs.set(docId, doc)
    }
    return doc
  }

  /** Another device holding everything this one holds now. */
  fork(): PracticeReplica {
    const copy = new PracticeReplica(fork(this.directory))
    for (const [id, doc] of this.docs) Y.applyUpdate(copy.doc(id), Y.encodeStateAsUpdate(doc))
    return copy
  }

  /** Both devices get what the other lacks, in every doc either holds. */
  exchange(other: PracticeReplica): void {
    exchange(this.directory, other.directory)
    for (const id of new Set([...this.docs.keys(), ...other.docs.keys()])) exchange(this.doc(id), other.doc(id))
  }
}
