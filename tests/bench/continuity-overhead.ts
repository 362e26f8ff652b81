/**
 * What continuity per writer (shared/src/envelope/continuity.ts) costs: bytes of header per entry
 * and per appointment on the relay, and the time to open a doc's entries of format v2 beside the
 * same entries in v1. Local, no relay; figures are printed, never asserted.
 *
 *   npx tsx tests/bench/continuity-overhead.ts [--appointments=600] [--devices=10] [--burst=1]
 *
 * A month of a busy practice as the relay holds it before compaction: `devices` devices book in
 * turn, `burst` appointments each, each appointment one entry, each device seeing the others'
 * entries before it writes (the live case: an entry names the writers its writer learned of since
 * its previous one — with burst 1, every other device: the worst case).
 */
import * as Y from 'yjs'
import { randomBytes, randomId } from '../../shared/src/crypto/base64url'
import { deriveSpaceKeys } from '../../shared/src/crypto/space-keys'
import { decryptEntry, encryptUpdate } from '../../shared/src/envelope/entry-cipher'
import { Envelope, type EnvelopeEntry } from '../../shared/src/envelope/envelope'
import { addAppointment } from '../../shared/src/model/agenda'
import { agendaDocId } from '../../shared/src/model/doc-ids'
import { monthRoom } from '../../shared/src/space/rooms'

const arg = (name: string, fallback: number) => Number(new RegExp(`--${name}=(\\d+)`).exec(process.argv.join(' '))?.[1] ?? fallback)
const appointments = arg('appointments', 600)
const deviceCount = arg('devices', 10)
const burst = arg('burst', 1)
const MONTH = '2026-12'
const DOC = agendaDocId(MONTH)
const ROOM = monthRoom(MONTH)

async function main(): Promise<void> {
  const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
  const devices = Array.from({ length: deviceCount }, () => {
    const doc = new Y.Doc({ gc: true })
    return { doc, envelope: new Envelope(doc, keys, ROOM, { batchDelayMs: 1, compactAfterEntries: 1_000_000, writer: randomId(6) }) }
  })
  const plain: Uint8Array[] = []
  for (let i = 0; i < appointments; i++) {
    const d = devices[Math.floor(i / burst) % deviceCount]!
    // What the relay forwarded since this device's last write.
    for (const other of devices) if (other !== d) Y.applyUpdate(d.doc, Y.encodeStateAsUpdate(other.doc, Y.encodeStateVector(d.doc)), 'relay')
    const month = await d.envelope.openDoc(DOC)
    await d.envelope.settle()
    const before = Y.encodeStateVector(month)
    addAppointment(month, { start: `${MONTH}-${String(1 + (i % 28)).padStart(2, '0')}T${String(8 + (i % 10)).padStart(2, '0')}:00`, durationMin: 30, practitionerId: `pr${i % deviceCount}`, title: 'Séance' }, { memberId: 'm', deviceId: 'dev' }, () => 1_795_000_000_000 + i)
    plain.push(Y.encodeStateAsUpdate(month, before))
    await d.envelope.flush()
  }
  const relay = devices[0]!.doc
  for (const other of devices.slice(1)) Y.applyUpdate(relay, Y.encodeStateAsUpdate(other.doc, Y.encodeStateVector(relay)))
  const entries = relay.getArray<EnvelopeEntry>('entries').toArray()
  let headerBytes = 0
  for (const entry of entries) headerBytes += (await decryptEntry(keys, ROOM, DOC, entry.c)).headerBytes?.length ?? 0
  // The same updates as v1 entries, the envelope they make.
  const v1Doc = new Y.Doc({ gc: true })
  const v1Entries = await Promise.all(plain.map(async (u) => ({ d: entries[0]!.d, c: await encryptUpdate(keys, ROOM, DOC, u) })))
  v1Doc.getArray<EnvelopeEntry>('entries').push(v1Entries)
  // Opening the doc decrypts its entries at once (envelope.ts): the best of 7 rounds, alternated.
  const timed = async (list: EnvelopeEntry[]) => {
    const t = performance.now()
    await Promise.all(list.map((entry) => decryptEntry(keys, ROOM, DOC, entry.c)))
    return performance.now() - t
  }
  let v1Ms = Infinity
  let v2Ms = Infinity
  for (let round = 0; round < 7; round++) {
    v1Ms = Math.min(v1Ms, await timed(v1Entries))
    v2Ms = Math.min(v2Ms, await timed(entries))
  }
  const v2Bytes = Y.encodeStateAsUpdate(relay).length
  const v1Bytes = Y.encodeStateAsUpdate(v1Doc).length
  console.log(`${entries.length} entries by ${deviceCount} devices, ${burst} in a row each`)
  console.log(`header: ${(headerBytes / entries.length).toFixed(1)} bytes per entry on average`)
  console.log(`envelope: v1 ${(v1Bytes / appointments).toFixed(0)} bytes per appointment, v2 ${(v2Bytes / appointments).toFixed(0)} (+${(((v2Bytes - v1Bytes) / v1Bytes) * 100).toFixed(1)} %)`)
  console.log(`decrypting the month's ${appointments} entries at once: v1 ${v1Ms.toFixed(1)} ms, v2 with the headers read ${v2Ms.toFixed(1)} ms (best of 7)`)
  for (const d of devices) await d.envelope.destroy()
}

void main()
