/**
 * What signing entries costs (issue 19, « Every envelope entry is signed »), each figure beside the
 * same work unsigned, in the same run, on the same data:
 *
 *   edit      a local change until its entry is in the envelope (Envelope.flush): + one ECDSA sign
 *   open      a fresh device opening a month of ENTRIES entries: + one verification per entry
 *   relay     the relay accepting a step 2 of those entries: its shape check (update-check.ts),
 *             then the signatures (entry-signatures.ts), against the shape check alone
 *
 * In process, Node's WebCrypto (the relay's; a browser's is the same P-256 in BoringSSL), no
 * network: the crypto and the envelope's bookkeeping, not the wire.
 */
import * as Y from 'yjs'
import { randomBytes, randomId, toBase64Url } from '../../../shared/src/crypto/base64url'
import { deriveSpaceKeys } from '../../../shared/src/crypto/space-keys'
import { makeDeviceIdentity, publicKeysOf } from '../../../shared/src/devices/device-identity'
import { applyEntry, credentialHash, DeviceRole, emptyRegistry, nextStatement, signStatement } from '../../../shared/src/devices/registry-chain'
import { entrySigner, type SignerDirectory } from '../../../shared/src/envelope/entry-signature'
import { Envelope } from '../../../shared/src/envelope/envelope'
import { DefaultLimits } from '../../../shared/src/protocol/constants'
import { blindRoomName } from '../../../shared/src/space/room-keys'
import { SpaceSigners } from '../../../relay/src/rooms/entry-signatures'
import { checkUpdate } from '../../../relay/src/rooms/update-check'
import type { Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { median, percentile } from '../stats'

const ROOM = 'agenda/2026-12'
const DOC = 'agenda/2026-12'
const EDITS = 200
const ENTRIES = 1000

async function timeEdits(envelope: Envelope, edits: number): Promise<number[]> {
  const doc = await envelope.openDoc(DOC)
  const samples: number[] = []
  for (let i = 0; i < edits; i++) {
    const started = performance.now()
    doc.getMap('appointments').set(`edit-${i}`, { start: '2026-12-07T10:00', durationMin: 30 })
    await envelope.flush()
    samples.push(performance.now() - started)
  }
  return samples
}

export const signatures: Scenario = {
  id: 'signatures',
  async run({ options, log, detail }: BenchContext): Promise<Row[]> {
    const spaceId = randomId(16)
    const keys = await deriveSpaceKeys(spaceId, randomBytes(32))
    const identity = await makeDeviceIdentity()
    const deviceId = randomId(9)
    const signer = entrySigner(deviceId, identity.sign.privateKey)
    const directory: SignerDirectory = { enforced: async () => true, keyOf: async (id) => (id === deviceId ? identity.sign.publicKey : null) }
    // No compaction: every edit stays an entry, for the opening below.
    const settings = { batchDelayMs: 0, compactAfterEntries: 1_000_000, compactAlwaysAfterEntries: 1_000_000 }
    const runs = Math.max(3, Math.min(options.runs, 9))

    // Edits, alternating unsigned and signed envelopes so that the machine's noise lands on both.
    const edit = { signed: [] as number[], unsigned: [] as number[] }
    for (let run = 0; run < runs; run++) {
      edit.unsigned.push(...(await timeEdits(new Envelope(new Y.Doc(), keys, ROOM, settings), EDITS / runs)))
      edit.signed.push(...(await timeEdits(new Envelope(new Y.Doc(), keys, ROOM, { ...settings, signer }), EDITS / runs)))
    }
    log(`  (s) edit → entry: ${median(edit.unsigned).toFixed(2)} ms unsigned, ${median(edit.signed).toFixed(2)} ms signed (median of ${edit.signed.length})`)

    // A month of ENTRIES entries, written signed once; opened by fresh envelopes with and without checking.
    const writerDoc = new Y.Doc()
    const writer = new Envelope(writerDoc, keys, ROOM, { ...settings, signer, batchDelayMs: 0 })
    const month = await writer.openDoc(DOC)
    for (let i = 0; i < ENTRIES; i++) {
      month.getMap('appointments').set(`a${i}`, { start: `2026-12-${String(1 + (i % 28)).padStart(2, '0')}T08:00`, durationMin: 30, patientId: `p${i % 300}` })
      await writer.flush()
    }
    await writer.flush()
    const state = Y.encodeStateAsUpdate(writerDoc)
    const open = { signed: [] as number[], unsigned: [] as number[] }
    for (let run = 0; run < runs; run++) {
      for (const checked of [false, true]) {
        const doc = new Y.Doc()
        Y.applyUpdate(doc, state)
        const started = performance.now()
        const reader = new Envelope(doc, keys, ROOM, checked ? { signers: directory } : {})
        await reader.openDoc(DOC)
        ;(checked ? open.signed : open.unsigned).push(performance.now() - started)
        if (checked && reader.stats().unverified !== 0) throw new Error(`${reader.stats().unverified} entries did not verify`)
      }
    }
    const entries = writer.entries.length
    log(`  (s) opening a month of ${entries} entries: ${median(open.unsigned).toFixed(1)} ms unchecked, ${median(open.signed).toFixed(1)} ms checked`)

    // The relay: the same entries as one step 2 against an empty room.
    const genesis = await signStatement(
      nextStatement(emptyRegistry(spaceId), deviceId, 0, {
        op: 'genesis',
        device: { id: deviceId, ...(await publicKeysOf(identity)), role: DeviceRole.Practitioner, admin: true, credential: await credentialHash(toBase64Url(randomBytes(32))) },
      }),
      identity.sign.privateKey,
    )
    await applyEntry(emptyRegistry(spaceId), genesis)
    const roomId = await blindRoomName(keys, ROOM)
    const relay = { shape: [] as number[], signed: [] as number[] }
    for (let run = 0; run < runs; run++) {
      const signers = new SpaceSigners({ listDeviceEntries: async () => [JSON.stringify(genesis)] })
      const started = performance.now()
      const verdict = checkUpdate(state, new Y.Doc(), DefaultLimits)
      const checked = performance.now()
      if (verdict.kind !== 'accepted') throw new Error(`The relay's check said ${verdict.kind}`)
      await signers.check(spaceId, roomId, verdict.entries)
      const done = performance.now()
      relay.shape.push(checked - started)
      relay.signed.push(done - started)
    }
    log(`  (s) relay, a step 2 of ${entries} entries: shape ${median(relay.shape).toFixed(1)} ms, shape + signatures ${median(relay.signed).toFixed(1)} ms`)
    detail('signatures', { edit, open, relay, entries })

    const scenario = 's. signed entries (same run: with vs without)'
    const stat = (n: number) => `median of ${n}`
    return [
      { scenario, metric: 'local change → entry in the envelope (floor: unsigned)', unit: 'ms', ours: median(edit.signed), floor: median(edit.unsigned), stat: stat(edit.signed.length), samples: { ours: edit.signed, floor: edit.unsigned } },
      { scenario, metric: 'same, 95th percentile', unit: 'ms', ours: percentile(edit.signed, 95), floor: percentile(edit.unsigned, 95), stat: `p95 of ${edit.signed.length}` },
      { scenario, metric: `open a month of ${entries} entries, every signature checked (floor: unchecked)`, unit: 'ms', ours: median(open.signed), floor: median(open.unsigned), stat: stat(runs), samples: { ours: open.signed, floor: open.unsigned } },
      { scenario, metric: `relay accepts a step 2 of ${entries} entries: shape + signatures (floor: shape alone)`, unit: 'ms', ours: median(relay.signed), floor: median(relay.shape), stat: stat(runs), samples: { ours: relay.signed, floor: relay.shape } },
    ]
  },
}
