/**
 * What judging a deletion from elsewhere costs a device (shared/src/envelope/envelope.ts,
 * « Deletions from elsewhere »): a colleague compacts the main room's directory (a snapshot of
 * `--patients` patients, 20,000 by default: the 15 MB-class directory of docs/performance.md) and
 * this device receives the compaction. It decrypts the new snapshot and each deleted entry and reads
 * what they hold by clock (coverage.ts's reader, which builds no content), on the thread that receives them. Local, in Node (the
 * app's WebCrypto is off the page's thread; decodeUpdate is not); figures printed, never asserted.
 *
 *   npx tsx tests/bench/deletion-judgment.ts [--patients=20000]
 */
import * as Y from 'yjs'
import { deriveSpaceKeys } from '../../shared/src/crypto/space-keys'
import { randomBytes, randomId } from '../../shared/src/crypto/base64url'
import { coverOf, coverOfInSteps } from '../../shared/src/envelope/coverage'
import { decryptUpdate, encryptUpdate } from '../../shared/src/envelope/entry-cipher'
import { Envelope } from '../../shared/src/envelope/envelope'
import { DIRECTORY_DOC_ID } from '../../shared/src/model/doc-ids'
import { addPatient } from '../../shared/src/model/patients'
import { MAIN_ROOM } from '../../shared/src/space/rooms'
import { defaultSpec, planPractice } from './generate'

const patients = Number(/--patients=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 20_000)
const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
const actor = { memberId: 'm', deviceId: 'bench' }
const clock = () => Date.UTC(2026, 11, 6)

const a = new Envelope(new Y.Doc({ gc: true }), keys, MAIN_ROOM, { batchDelayMs: 1, compactAfterEntries: 100_000 })
const directory = await a.openDoc(DIRECTORY_DOC_ID)
const plan = planPractice(defaultSpec('2026-12-06', { patients }))
// The directory as a device writes it: batches of patients, one entry each, then 50 small edits.
for (let i = 0; i < plan.patients.length; i += 500) {
  directory.transact(() => {
    for (const p of plan.patients.slice(i, i + 500)) addPatient(directory, p, actor, clock)
  })
  await a.flush()
}
await a.compact(DIRECTORY_DOC_ID)
for (let i = 0; i < 50; i++) {
  addPatient(directory, plan.patients[i]!, actor, clock)
  await a.flush()
}

const b = new Envelope(new Y.Doc({ gc: true }), keys, MAIN_ROOM)
Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc), 'relay')
const snapshotEntry = a.entries.toArray().reduce((x, y) => (y.c.length > x.c.length ? y : x))
const state = Y.encodeStateAsUpdate(directory)
console.log(`directory: ${patients} patients, snapshot ${(state.byteLength / 1e6).toFixed(1)} MB, ${a.entries.length} entries in main`)

function ms(start: number): string {
  return `${(performance.now() - start).toFixed(0)} ms`
}
let t = performance.now()
const plain = await decryptUpdate(keys, MAIN_ROOM, DIRECTORY_DOC_ID, snapshotEntry.c)
console.log(`decrypt the snapshot entry (${(snapshotEntry.c.length / 1e6).toFixed(1)} MB): ${ms(t)}`)
t = performance.now()
Y.decodeUpdate(plain)
console.log(`(for scale: Y.decodeUpdate of it, which the guard does not use: ${ms(t)})`)
for (let run = 1; run <= 3; run++) {
  t = performance.now()
  coverOf(plain)
  console.log(`read what it holds by clock (coverOf), run ${run}: ${ms(t)}`)
}
t = performance.now()
coverOf(plain)
console.log(`read what it holds by clock (coverOf): ${ms(t)}`)
// In the app (a decoder present) a big entry is read in steps, the page given back in between.
const stepMs: number[] = []
let last = performance.now()
await coverOfInSteps(plain, async () => {
  stepMs.push(performance.now() - last)
  await new Promise((resolve) => setTimeout(resolve, 0))
  last = performance.now()
})
stepMs.push(performance.now() - last)
stepMs.sort((x, y) => x - y)
const at = (q: number) => stepMs[Math.min(stepMs.length - 1, Math.floor(q * stepMs.length))]!.toFixed(1)
console.log(`read in steps (the app's way): ${stepMs.length} steps, median ${at(0.5)} ms, p90 ${at(0.9)} ms, longest ${at(1)} ms`)
t = performance.now()
await encryptUpdate(keys, MAIN_ROOM, DIRECTORY_DOC_ID, state)
console.log(`(for scale: encrypting a new snapshot, what the compacting device pays: ${ms(t)})`)

// The whole judgment on the receiving device: A compacts (new snapshot, 51 entries deleted).
await a.compact(DIRECTORY_DOC_ID)
t = performance.now()
Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc)), 'relay')
const applied = performance.now() - t
await b.settle()
console.log(`receive the compaction: apply to the envelope ${applied.toFixed(0)} ms, then judge it ${ms(t)} in all; written back: ${b.stats().restored}`)
await a.destroy()
await b.destroy()
