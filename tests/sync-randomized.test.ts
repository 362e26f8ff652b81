/**
 * Seeded randomized convergence through the relay (in this process: in-memory-relay.ts): devices edit patients, the agenda and a
 * clinical note at random, go offline and back, reload from IndexedDB, compact; at the end every
 * device holds the same docs. A failure prints its seed: pin it in `pinned` to replay it forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as prng from 'lib0/prng'
import { createPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { DIRECTORY_DOC_ID, agendaDocId, patientDocId } from '../shared/src/model/doc-ids'
import { addPatient, updatePatient } from '../shared/src/model/patients'
import { addAppointment } from '../shared/src/model/agenda'
import { addNote, getNoteText } from '../shared/src/model/patient-file'
import { AGENDA_MAPS, DIRECTORY_MAPS, PATIENT_FILE_MAPS } from '../shared/src/model/collections'
import type { Actor } from '../shared/src/model/actor'
import { startInMemoryRelay, type InMemoryRelay } from './helpers/in-memory-relay'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

let relay: InMemoryRelay

beforeAll(() => {
  relay = startInMemoryRelay()
})
afterAll(async () => {
  await relay.dispose()
})

interface SimDevice {
  name: string
  env: DeviceEnvironment
  practice: OpenPractice
  online: boolean
}

const CITIES = ['Lyon', 'Villeurbanne', 'Bron', 'Vénissieux', 'Caluire-et-Cuire']
const MONTH = '2026-11'

describe('randomized convergence through the relay', () => {
  const pinned = [20261122, 4242, 234144494]
  const seeds = [...pinned, Math.floor(Math.random() * 2 ** 31)]
  for (const seed of seeds) {
    it(`converges (seed ${seed})`, async () => {
      try {
        await run(seed)
      } catch (error) {
        console.error(`Randomized convergence failed with seed ${seed}: add it to 'pinned' to replay`)
        throw error
      }
    })
  }
})

/** A simulated device whose sockets and requests reach the relay. */
function device(name: string, errors: string[]): DeviceEnvironment {
  const base = nodeDeviceEnvironment(name)
  // Every room's reported errors, by name, across the device's reloads (they reuse this environment).
  const room = { ...base.room, envelope: { ...base.room?.envelope, onError: (error: Error) => errors.push(error.name) } }
  return { ...base, room, WebSocketImpl: relay.WebSocketImpl, fetchImpl: relay.fetchImpl }
}

async function run(seed: number): Promise<void> {
  const gen = prng.create(seed)
  const errors: string[] = []
  const env0 = device('d0', errors)
  const first = await createPractice(
    { relayUrl: relay.url, practiceName: `Cabinet ${seed}`, practitioner: { displayName: 'Léa Fontaine', profession: 'infirmier' } },
    env0,
  )
  const memberId = first.record.memberId!
  // No change goes missing here: any alarm of continuity (shared/src/envelope/continuity.ts), even
  // for a moment, is a false one.
  const missingSeen: string[] = []
  const watch = (name: string, p: OpenPractice): OpenPractice => {
    p.space.subscribe(() => {
      const missing = p.space.getSyncState().missingEntries
      if (missing.length > 0) missingSeen.push(`${name}: ${JSON.stringify(missing)}`)
    })
    return p
  }
  watch('d0', first)
  const directory = await first.space.openDoc(DIRECTORY_DOC_ID)
  const actor0: Actor = { memberId, deviceId: first.record.deviceId }
  const patients = ['Martin', 'Bernard', 'Dubois'].map((birthName) =>
    addPatient(directory, { birthName, firstNames: 'Camille' }, actor0, Date.now),
  )
  const noteId = addNote(await first.space.openDoc(patientDocId(patients[0]!)), { date: '2026-11-23', kind: 'session' }, actor0, Date.now)
  await first.space.whenAcknowledged()
  const code = await pairingTicket(first.record.spaceId, env0)

  const devices: SimDevice[] = [{ name: 'd0', env: env0, practice: first, online: true }]
  for (const name of ['d1', 'd2', 'd3']) {
    const env = device(name, errors)
    const practice = watch(name, await joinWith(code, env))
    // A device edits a patient once it knows it, as a person would: wait for the first sync.
    const dir = await practice.space.openDoc(DIRECTORY_DOC_ID)
    await waitFor(() => expect(dir.getMap(DIRECTORY_MAPS.patients).size).toBe(patients.length))
    // And the clinical file it will type into (its own room: it arrives when first opened).
    const file = await practice.space.openDoc(patientDocId(patients[0]!))
    await waitFor(() => expect(file.getMap(PATIENT_FILE_MAPS.notes).has(noteId)).toBe(true))
    devices.push({ name, env, practice, online: true })
  }
  const actor = (d: SimDevice): Actor => ({ memberId, deviceId: d.practice.record.deviceId })

  const counts = { edits: 0, offline: 0, reloads: 0, compactions: 0 }
  for (let step = 0; step < 80; step++) {
    const d = prng.oneOf(gen, devices)
    const roll = prng.int32(gen, 0, 99)
    const space = d.practice.space
    if (roll < 25) {
      const patch = prng.bool(gen)
        ? { phones: [`06 ${prng.int32(gen, 10, 99)} ${prng.int32(gen, 10, 99)} ${prng.int32(gen, 10, 99)} ${prng.int32(gen, 10, 99)}`] }
        : { address: { line1: `${prng.int32(gen, 1, 99)} rue de la République`, postalCode: '69001', city: prng.oneOf(gen, CITIES) } }
      updatePatient(await space.openDoc(DIRECTORY_DOC_ID), prng.oneOf(gen, patients), patch, actor(d), Date.now)
      counts.edits++
    } else if (roll < 45) {
      const hour = String(prng.int32(gen, 8, 18)).padStart(2, '0')
      addAppointment(
        await space.openDoc(agendaDocId(MONTH)),
        { start: `2026-11-${String(prng.int32(gen, 2, 27)).padStart(2, '0')}T${hour}:00`, durationMin: 30, practitionerId: memberId, patientId: prng.oneOf(gen, patients), place: 'practice' },
        actor(d),
        Date.now,
      )
      counts.edits++
    } else if (roll < 60) {
      const text = getNoteText(await space.openDoc(patientDocId(patients[0]!)), noteId)
      text.insert(prng.int32(gen, 0, text.length), `${prng.word(gen, 2, 8)} `)
      counts.edits++
    } else if (roll < 72) {
      if (d.online) space.disconnect()
      else space.connect()
      d.online = !d.online
      counts.offline++
    } else if (roll < 82) {
      await space.compact(prng.oneOf(gen, [DIRECTORY_DOC_ID, agendaDocId(MONTH), patientDocId(patients[0]!)]))
      counts.compactions++
    } else if (roll < 90) {
      await space.destroy()
      const reloaded = await loadPractice({ ...d.env, connect: d.online })
      if (!reloaded) throw new Error(`${d.name} lost its registry on reload`)
      d.practice = watch(d.name, reloaded)
      counts.reloads++
    } else {
      // Let the network deliver for a random moment: delivery order is part of what is randomized.
      await new Promise((resolve) => setTimeout(resolve, prng.int32(gen, 0, 40)))
    }
  }

  for (const d of devices) {
    d.practice.space.connect()
    d.online = true
  }
  for (const d of devices) await d.practice.space.whenAcknowledged()
  const read = async (d: SimDevice) => {
    const out: Record<string, unknown> = {}
    const docs: Array<[string, Record<string, string>]> = [
      [DIRECTORY_DOC_ID, DIRECTORY_MAPS],
      [agendaDocId(MONTH), AGENDA_MAPS],
      [patientDocId(patients[0]!), PATIENT_FILE_MAPS],
    ]
    for (const [id, roots] of docs) {
      const doc = await d.practice.space.openDoc(id)
      out[id] = {
        roots: Object.fromEntries(Object.values(roots).map((r) => [r, doc.getMap(r).toJSON()])),
        sv: Y.decodeStateVector(Y.encodeStateVector(doc)),
      }
    }
    out.note = getNoteText(await d.practice.space.openDoc(patientDocId(patients[0]!)), noteId).toString()
    return out
  }
  await waitFor(
    async () => {
      for (const d of devices) await d.practice.space.whenAcknowledged()
      const all = await Promise.all(devices.map(read))
      for (const other of all.slice(1)) expect(other).toEqual(all[0])
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  )
  // The run did real work.
  expect(counts.edits).toBeGreaterThan(20)
  expect(counts.offline + counts.reloads + counts.compactions).toBeGreaterThan(10)
  // No one took a clock here: no device may say a change of its own was replaced on the relay
  // (a colleague's compaction of an entry whose ACK was lost is not that: delivery-check.ts).
  for (const d of devices) expect(d.practice.space.getSyncState().resentEntries).toBe(0)
  expect(missingSeen).toEqual([])
  expect(errors.filter((name) => name === 'EntriesReplacedError')).toEqual([])
  for (const d of devices) await d.practice.space.destroy()
}
