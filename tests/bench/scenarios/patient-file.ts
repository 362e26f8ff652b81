/**
 * (f) Opening a patient file: in a space of 20,000 patients of which 2,000 have a long clinical
 * file (60–80 notes of 300–700 characters, 2 ordonnances, 4 attachment references), the time from
 * "open patient/<id>" to the timeline read: find the doc's entries in the envelope, decrypt them,
 * apply them to a fresh Y.Doc, then list notes (with their texts), ordonnances and attachments.
 * Floor: the same doc applied from its plaintext Yjs update, then the same reads.
 *
 * The envelope holds every doc as one compacted snapshot entry, as a device has after compaction;
 * each sample opens a different patient (a doc already open is cached by the Envelope, so
 * re-opening one measures nothing). No relay and no IndexedDB: what is measured is what the
 * device does between the tap and the screen, once the envelope is in memory (cold start, the
 * IndexedDB part, is scenario c).
 *
 *   npx tsx tests/bench/patient-file.ts                   20,000 patients, 2,000 long files, 200 opens
 *   npx tsx tests/bench/patient-file.ts --quick           2,000 patients, 200 long files, 50 opens
 */
import * as Y from 'yjs'
import { deriveSpaceKeys } from '../../../shared/src/crypto/space-keys'
import { randomBytes, randomId } from '../../../shared/src/crypto/base64url'
import { blindDocId, encryptUpdate } from '../../../shared/src/envelope/entry-cipher'
import { keysOfRoom } from '../../../shared/src/space/room-keys'
import { ENTRIES_KEY, Envelope } from '../../../shared/src/envelope/envelope'
import { addAttachment, addPrescription, listAttachments, listNotes, listPrescriptions } from '../../../shared/src/model/patient-file'
import { initPractice } from '../../../shared/src/model/directory'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { defaultSpec, planPractice, steppingClock, writePractice } from '../generate'
import type { Row } from '../report'
import { median, percentile } from '../stats'

export interface PatientFileOptions {
  patients: number
  longFiles: number
  opens: number
  seed: number
  today: string
}

/** What the screen reads when a file opens: the timeline with texts, ordonnances, attachments. */
function readFile(doc: Y.Doc): number {
  const notes = listNotes(doc).items
  const chars = notes.reduce((n, note) => n + note.text.length, 0)
  return chars + listPrescriptions(doc).items.length + listAttachments(doc).items.length
}

export async function runPatientFile(options: PatientFileOptions, log: (line: string) => void): Promise<{ rows: Row[]; volume: Record<string, number> }> {
  const spec = defaultSpec(options.today, {
    seed: options.seed,
    patients: options.patients,
    practitioners: 1,
    months: 1,
    notesShare: options.longFiles / options.patients,
    notesPerFile: [60, 80],
    noteChars: [300, 700],
  })
  const started = performance.now()
  const plan = planPractice(spec)
  const docs = new Map<string, Y.Doc>()
  const sink = {
    openDoc: async (docId: string) => {
      let doc = docs.get(docId)
      if (!doc) docs.set(docId, (doc = new Y.Doc({ guid: docId, gc: true })))
      return doc
    },
  }
  const actor = { memberId: 'bench', deviceId: 'bench-device' }
  const clock = steppingClock(Date.UTC(2025, 0, 1))
  const directory = await sink.openDoc(DIRECTORY_DOC_ID)
  initPractice(directory, { name: 'Cabinet bench', firstPractitioner: { displayName: 'Bench', profession: 'kine' } }, actor, clock)
  const written = await writePractice(sink, plan, actor, clock)
  for (const docId of written.patientDocIds) {
    const doc = docs.get(docId)!
    doc.transact(() => {
      for (let i = 0; i < 2; i++) {
        const prescriptionId = addPrescription(
          doc,
          { prescriberName: 'Dr Vidal', prescriberRpps: '10001234567', date: `2025-0${i + 1}-15`, indication: 'Rééducation lombaire', sessionsPrescribed: 15 },
          actor,
          clock,
        )
        for (let j = 0; j < 2; j++) {
          addAttachment(doc, { hash: 'ab'.repeat(32), name: `ordonnance-${i}-${j}.jpg`, mime: 'image/jpeg', size: 2_000_000, prescriptionId }, actor, clock)
        }
      }
    })
  }
  log(`  (f) wrote ${written.patientIds.length} patients, ${written.patientDocIds.length} files, ${written.notes} notes in ${Math.round(performance.now() - started)} ms`)

  // The envelope a device holds: one snapshot entry per doc.
  const spaceId = randomId(16)
  const keys = await deriveSpaceKeys(spaceId, randomBytes(32))
  // One envelope holding every file: a file shard holds a sixteenth of them, so this is the worst case.
  const room = 'files/0' as const
  // A file shard's entries are under the clinical tier's key (shared/src/space/room-keys.ts).
  const roomKeys = keysOfRoom(keys, room)
  const source = new Y.Doc({ gc: true })
  const plaintext = new Map<string, Uint8Array>()
  const entries: { d: string; c: Uint8Array }[] = []
  for (const [docId, doc] of docs) {
    const update = Y.encodeStateAsUpdate(doc)
    plaintext.set(docId, update)
    entries.push({ d: await blindDocId(roomKeys, docId), c: await encryptUpdate(roomKeys, room, docId, update) })
  }
  source.getArray(ENTRIES_KEY).push(entries)
  const fileBytes = written.patientDocIds.map((id) => plaintext.get(id)!.byteLength)
  const envelopeBytes = Y.encodeStateAsUpdate(source).byteLength
  log(`  (f) envelope: ${entries.length} entries, ${(envelopeBytes / 2 ** 20).toFixed(1)} MiB; a long file is ${Math.round(median(fileBytes) / 1024)} KiB (median)`)

  // A device that loaded this envelope (from IndexedDB, or the relay) and opens files one by one.
  const deviceEnvelope = new Y.Doc({ gc: true })
  Y.applyUpdate(deviceEnvelope, Y.encodeStateAsUpdate(source))
  const envelope = new Envelope(deviceEnvelope, roomKeys, room, { compactDelayMs: 3_600_000 })
  const ours: number[] = []
  const floor: number[] = []
  const opens = Math.min(options.opens, written.patientDocIds.length)
  for (let i = 0; i < opens; i++) {
    const docId = written.patientDocIds[Math.floor((i * written.patientDocIds.length) / opens)]!
    // Alternate which side runs first, so neither always meets a warm cache or a pending GC.
    const runFloor = () => {
      const t0 = performance.now()
      const doc = new Y.Doc({ guid: docId, gc: true })
      Y.applyUpdate(doc, plaintext.get(docId)!)
      const read = readFile(doc)
      floor.push(performance.now() - t0)
      doc.destroy()
      return read
    }
    const runOurs = async () => {
      const t0 = performance.now()
      const doc = await envelope.openDoc(docId)
      const read = readFile(doc)
      ours.push(performance.now() - t0)
      return read
    }
    const [a, b] = i % 2 === 0 ? [runFloor(), await runOurs()] : [await runOurs(), runFloor()]
    if (a !== b) throw new Error(`File ${docId} read differently through the envelope (${b}) and from plaintext (${a})`)
  }
  await envelope.destroy()
  log(`  (f) ${opens} opens: median ${median(ours).toFixed(2)} ms, p95 ${percentile(ours, 95).toFixed(2)} ms (floor ${median(floor).toFixed(2)} / ${percentile(floor, 95).toFixed(2)} ms)`)

  const stat = `of ${opens} files`
  const rows: Row[] = [
    { scenario: 'f. patient file', metric: 'open patient/<id> → timeline, ordonnances, attachments read', unit: 'ms', ours: median(ours), floor: median(floor), stat: `median ${stat}`, samples: { ours, floor } },
    { scenario: 'f. patient file', metric: 'same, p95', unit: 'ms', ours: percentile(ours, 95), floor: percentile(floor, 95), stat: `p95 ${stat}` },
  ]
  return {
    rows,
    volume: {
      patients: written.patientIds.length,
      longFiles: written.patientDocIds.length,
      notes: written.notes,
      envelopeEntries: entries.length,
      envelopeBytes,
      medianFileBytes: median(fileBytes),
    },
  }
}
