/**
 * What the relay's check of an envelope update (relay/src/rooms/update-check.ts) costs on every
 * update, beside what the relay did before it (Y.decodeUpdate alone) and what applying the update
 * to the room costs anyway. Local, no relay, no browser; figures are printed, never asserted.
 *
 *   npx tsx tests/bench/update-check.ts [--iterations=20000]
 *
 * The room is a busy agenda month as the relay holds it: ten devices' entries (~720 bytes each,
 * an appointment's write), a 3 MB snapshot of the month doc, and the tombstones of 3,000 entries
 * earlier compactions deleted. The updates: one appointment written (the common case), a
 * compaction (a new 3 MB snapshot, 64 entries deleted), the step 2 of a device back online (20
 * entries and its whole delete set), and a step 2 with nothing new.
 */
import { randomBytes } from 'node:crypto'
import * as prng from 'lib0/prng'
import * as Y from 'yjs'
import { DefaultLimits } from '../../shared/src/protocol/constants'
import { checkUpdate } from '../../relay/src/rooms/update-check'

type Entry = { d: string; c: Uint8Array }

const iterations = Number(/--iterations=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 20_000)
const gen = prng.create(18)
const docIds = Array.from({ length: 40 }, (_, i) => `doc${String(i).padStart(19, '0')}`)
const entry = (bytes = 720 - 40): Entry => ({ d: prng.oneOf(gen, docIds), c: new Uint8Array(randomBytes(bytes)) })

function syncAll(docs: Y.Doc[]): void {
  const merged = Y.mergeUpdates(docs.map((doc) => Y.encodeStateAsUpdate(doc)))
  for (const doc of docs) Y.applyUpdate(doc, merged)
}

// Ten devices writing into one month room, the relay's copy beside them.
const devices = Array.from({ length: 10 }, () => new Y.Doc({ gc: true }))
const relay = new Y.Doc({ gc: true })
const list = (doc: Y.Doc) => doc.getArray<Entry>('entries')
for (let round = 0; round < 38; round++) {
  for (const device of devices) for (let i = 0; i < 10; i++) list(device).push([entry()])
  syncAll(devices)
  // Compactions: the first device folds what it holds into a snapshot now and then.
  if (round % 10 === 9) {
    const first = devices[0]!
    Y.transact(first, () => {
      list(first).push([entry(3 * 1024 * 1024)])
      list(first).delete(0, list(first).length - 1)
    })
    syncAll(devices)
  }
}
Y.applyUpdate(relay, Y.encodeStateAsUpdate(devices[0]!))
const writer = devices[1]!
const deleted = Y.createDeleteSetFromStructStore(relay.store).clients
const ranges = [...deleted.values()].reduce((n, r) => n + r.length, 0)

function captured(doc: Y.Doc, change: () => void): Uint8Array {
  let update: Uint8Array | null = null
  const listener = (u: Uint8Array) => (update = u)
  doc.on('update', listener)
  change()
  doc.off('update', listener)
  return update!
}

const write = captured(writer, () => list(writer).push([entry()]))
// Another device, holding what the relay holds, compacts one doc.
const compacting = devices[2]!
const compaction = captured(compacting, () =>
  Y.transact(compacting, () => {
    const d = list(compacting).get(list(compacting).length - 1).d
    list(compacting).push([{ d, c: new Uint8Array(randomBytes(3 * 1024 * 1024)) }])
    // 64 of this doc's entries, or the doc's entries the device holds when fewer.
    let removed = 0
    for (let i = list(compacting).length - 2; i >= 0 && removed < 64; i--) {
      if (list(compacting).get(i).d === d) {
        list(compacting).delete(i, 1)
        removed++
      }
    }
  }),
)
const back = new Y.Doc({ gc: true })
Y.applyUpdate(back, Y.encodeStateAsUpdate(relay))
for (let i = 0; i < 20; i++) list(back).push([entry()])
const step2 = Y.encodeStateAsUpdate(back, Y.encodeStateVector(relay))
const step2Nothing = Y.encodeStateAsUpdate(relay, Y.encodeStateVector(relay))

/** Median over rounds of the mean time of one call, in µs: rounds of check and decode alternate. */
function medianOf(rounds: number[]): number {
  const sorted = [...rounds].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function time(label: string, update: Uint8Array, runs: number): void {
  const limits = DefaultLimits
  const verdict = checkUpdate(update, relay, limits)
  const round = (run: () => unknown, n: number) => {
    const started = performance.now()
    for (let i = 0; i < n; i++) run()
    return ((performance.now() - started) / n) * 1000
  }
  const perRound = Math.max(1, Math.floor(runs / 10))
  const check: number[] = []
  const decode: number[] = []
  for (let r = 0; r < 11; r++) {
    check.push(round(() => checkUpdate(update, relay, limits), perRound))
    decode.push(round(() => Y.decodeUpdate(update), perRound))
  }
  // Applying changes the doc: each run applies to its own copy of the room (copied outside the timing).
  const apply: number[] = []
  const state = Y.encodeStateAsUpdate(relay)
  for (let r = 0; r < 5; r++) {
    const copy = new Y.Doc({ gc: true })
    Y.applyUpdate(copy, state)
    apply.push(round(() => Y.applyUpdate(copy, update), 1))
  }
  const shown = verdict.kind === 'accepted' ? `${verdict.trimmed ? 'trimmed' : 'accepted'}` : verdict.kind
  const us = (n: number) => `${n.toFixed(1)} µs`
  console.log(`| ${label} | ${(update.byteLength / 1024).toFixed(1)} KiB | ${shown} | ${us(medianOf(check))} | ${us(medianOf(decode))} | ${us(medianOf(apply))} |`)
}

console.log(`Room: ${list(relay).length} live entries, ${relay.store.clients.size} writers, ${ranges} deleted ranges, ${(Y.encodeStateAsUpdate(relay).byteLength / 1024 / 1024).toFixed(1)} MB; ${iterations} iterations`)
console.log('| update | size | verdict | checkUpdate | Y.decodeUpdate (the check before) | Y.applyUpdate to the room (once) |')
console.log('| --- | --- | --- | --- | --- | --- |')
time('one appointment written', write, iterations)
time('a compaction (3 MB snapshot, 64 entries deleted)', compaction, Math.max(10, iterations / 100))
time('step 2 back online (20 entries, whole delete set)', step2, Math.max(10, iterations / 10))
time('step 2 with nothing new (whole delete set)', step2Nothing, Math.max(10, iterations / 10))
