/**
 * Issue 18's seeded randomized test: five devices edit patients, the agenda and a clinical note,
 * offline and online, reload, compact — through a relay that misbehaves at random
 * (helpers/hostile-relay.ts: frames dropped, reordered, replayed, sockets cut, one device served
 * only part of each room) and whose disk is wiped or rolled back to an earlier state, with, one
 * time in two, a bit flipped in one stored entry (helpers/hostile-storage.ts) on a real relay
 * process. Then an honest period: the proxy forwards
 * everything, every device is online until acknowledged. The rule that must hold then:
 *   - every device holds the same docs (content and state vectors);
 *   - each holds every change any device made — no patient, appointment or word of the note lost.
 *
 * The seed is printed; `TOURNEE_SEED=<n> npx vitest run tests/hostile-randomized.test.ts` runs that
 * one alone. What the mix leaves out: rows moved between rooms (inert): their focused test is in
 * hostile-relay.test.ts.
 */
import { describe, expect, it } from 'vitest'
import * as prng from 'lib0/prng'
import * as Y from 'yjs'
import { createPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { addAppointment, listAppointments } from '../shared/src/model/agenda'
import type { Actor } from '../shared/src/model/actor'
import { AGENDA_MAPS, DIRECTORY_MAPS, PATIENT_FILE_MAPS } from '../shared/src/model/collections'
import { monthOf } from '../shared/src/model/dates'
import { agendaDocId, DIRECTORY_DOC_ID, patientDocId } from '../shared/src/model/doc-ids'
import { addNote, getNoteText } from '../shared/src/model/patient-file'
import { addPatient, listPatients, updatePatient } from '../shared/src/model/patients'
import { flipStoredBit, readStoredRooms, rollBackStoredRooms, wipeStoredRelay, type StoredRooms } from './helpers/hostile-storage'
import { hostileWebSocket, startHostileRelay, type HostileRelay } from './helpers/hostile-relay'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { useRelayFixture } from './helpers/relay-fixture'
import { TEST_TODAY } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

const fixture = useRelayFixture()
const MONTH = monthOf(TEST_TODAY)
const CITIES = ['Lyon', 'Villeurbanne', 'Bron', 'Vénissieux']

/**
 * What the relay does wrong in a run. `wire`: the proxy drops, reorders and replays frames, cuts
 * sockets and withholds part of each room from one device, at rates drawn from the seed.
 * `storage`: the relay is stopped twice at most, its disk wiped or rolled back to rows read
 * earlier, and started again. `both`: the two at once.
 */
const MIXES = {
  wire: { wire: true, storage: false },
  storage: { wire: false, storage: true },
  both: { wire: true, storage: true },
} as const
type Mix = (typeof MIXES)[keyof typeof MIXES]

/** The proxy's misbehaviours in a `wire` run: all of them, or those of TOURNEE_HOSTILE_WIRE (`drop,replay`). */
const WIRE = (process.env.TOURNEE_HOSTILE_WIRE ?? 'drop,reorder,replay,cut,withhold').split(',')

/**
 * What the honest period's end must show: the whole rule — every device holds the same three docs
 * and every change made anywhere. (TOURNEE_HOSTILE_STRICT=0, a diagnostic aid: only the directory
 * and the month equal everywhere, and each device's own words in the note.) The whole rule once
 * failed on the seeds pinned below: a device reloaded after typing into the note offline never
 * loaded that room again, so its words reached nobody while the indicator said « 0 modification en
 * attente » (fixed: client/src/sync/practice/unacknowledged-rooms.ts).
 */
const STRICT = process.env.TOURNEE_HOSTILE_STRICT !== '0'

/**
 * Seeds that once failed, replayed for ever (per mix). Storage 1199645374: a bit flipped in one of
 * d2's note entries, held decrypted only by devices without the note's room loaded (d2 had reloaded
 * since): nobody answered d0's repair request until the honest period opened the docs everywhere.
 */
const pinned: Record<'wire' | 'storage', number[]> = { wire: [2], storage: [2, 1199645374] }

describe('randomized sync through a hostile relay (issue 18)', () => {
  const fromEnv = process.env.TOURNEE_SEED
  const mixEnv = process.env.TOURNEE_HOSTILE_MIX
  const mixes = (mixEnv ? [mixEnv] : ['wire', 'storage']) as Array<keyof typeof MIXES>
  for (const name of mixes) {
    const mix = MIXES[name]
    if (!mix) throw new Error(`TOURNEE_HOSTILE_MIX: one of ${Object.keys(MIXES).join(', ')}`)
    const drawn = Math.floor(Math.random() * 2 ** 31)
    const seeds = fromEnv ? [Number(fromEnv)] : [...(name === 'both' ? [] : pinned[name]), drawn]
    for (const seed of seeds) {
      const rule = STRICT ? 'ends with every device equal, holding every change made' : 'loses no change: directory and month equal everywhere, each device keeps its own words'
      it(`${name}: ${rule} (seed ${seed})`, { timeout: 120_000 }, async () => {
        console.log('seed', seed, 'mix', name)
        try {
          await run(seed, mix)
        } catch (error) {
          console.error(`Hostile randomized sync failed with seed ${seed}: TOURNEE_HOSTILE_MIX=${name} TOURNEE_SEED=${seed} replays it; add it to 'pinned'`)
          throw error
        }
      })
    }
  }
})

interface SimDevice {
  name: string
  env: DeviceEnvironment
  practice: OpenPractice
  online: boolean
}

/** Every change made on any device: what every device must hold after the honest period. */
interface Made {
  patients: Set<string>
  appointments: Set<string>
  /** Each word typed into the note, and the device that typed it. */
  words: Map<string, string>
}

function device(name: string, errors: string[]): DeviceEnvironment {
  const base = nodeDeviceEnvironment(name)
  return {
    ...base,
    WebSocketImpl: hostileWebSocket(name),
    practice: { background: false },
    room: { ...base.room, envelope: { ...base.room?.envelope, onError: (error: Error) => errors.push(`${name}: ${error.name}`) } },
  }
}

async function run(seed: number, mix: Mix): Promise<void> {
  const gen = prng.create(seed)
  const relay = fixture.relay
  const proxy = await startHostileRelay(() => relay.url, prng.int32(gen, 0, 2 ** 31 - 1))
  const errors: string[] = []
  const devices: SimDevice[] = []
  try {
    await hostilePeriod(seed, mix, gen, proxy, devices, errors)
  } finally {
    for (const d of devices) await d.practice.space.destroy().catch(() => undefined)
    await proxy.dispose()
  }
}

async function hostilePeriod(seed: number, mix: Mix, gen: prng.PRNG, proxy: HostileRelay, devices: SimDevice[], errors: string[]): Promise<void> {
  const relay = fixture.relay
  const made: Made = { patients: new Set(), appointments: new Set(), words: new Map() }

  // An honest start: a practice of three patients, a note, on five devices.
  const env0 = device('d0', errors)
  const first = await createPractice(
    { relayUrl: proxy.url, practiceName: `Cabinet ${seed}`, practitioner: { displayName: 'Léa Fontaine', profession: 'infirmier' } },
    env0,
  )
  devices.push({ name: 'd0', env: env0, practice: first, online: true })
  const spaceId = first.record.spaceId
  const memberId = first.record.memberId!
  const actor = (d: SimDevice): Actor => ({ memberId, deviceId: d.practice.record.deviceId })
  const directory = await first.space.openDoc(DIRECTORY_DOC_ID)
  for (const birthName of ['Martin', 'Bernard', 'Dubois']) made.patients.add(addPatient(directory, { birthName, firstNames: 'Camille' }, actor(devices[0]!), Date.now))
  const filePatient = [...made.patients][0]!
  const noteId = addNote(await first.space.openDoc(patientDocId(filePatient)), { date: TEST_TODAY, kind: 'session' }, actor(devices[0]!), Date.now)
  await first.space.openDoc(agendaDocId(MONTH))
  await first.space.whenAcknowledged()
  const code = await pairingTicket(spaceId, env0)
  for (const name of ['d1', 'd2', 'd3', 'd4']) {
    const env = device(name, errors)
    const practice = await joinWith(code, env)
    devices.push({ name, env, practice, online: true })
    const dir = await practice.space.openDoc(DIRECTORY_DOC_ID)
    await waitFor(() => expect(dir.getMap(DIRECTORY_MAPS.patients).size).toBe(3))
    const file = await practice.space.openDoc(patientDocId(filePatient))
    await waitFor(() => expect(file.getMap(PATIENT_FILE_MAPS.notes).has(noteId)).toBe(true))
    await practice.space.openDoc(agendaDocId(MONTH))
  }
  let earlier: StoredRooms = readStoredRooms(relay.dataDir, spaceId)

  // The hostile period: the proxy's rates drawn from the seed, one device maybe withheld from.
  const draw = () => {
    if (!mix.wire) return
    // Every rate is drawn, so that the PRNG's sequence does not depend on which are used.
    const rates = { drop: 0.01 + prng.real53(gen) * 0.07, reorder: 0.01 + prng.real53(gen) * 0.07, replay: 0.01 + prng.real53(gen) * 0.07, cut: 0.002 + prng.real53(gen) * 0.018 }
    const withheld = prng.bool(gen) ? new Set([prng.oneOf(gen, devices).name]) : new Set<string>()
    for (const kind of ['drop', 'reorder', 'replay', 'cut'] as const) proxy.policy[kind] = WIRE.includes(kind) ? rates[kind] : 0
    proxy.policy.withheld = WIRE.includes('withhold') ? withheld : new Set()
  }
  draw()
  const firstWithheld = [...proxy.policy.withheld].join()
  const counts = { edits: 0, offline: 0, reloads: 0, compactions: 0, wipes: 0, rollbacks: 0, flips: 0, checkpoints: 0, redraws: 0 }
  let storageAttacks = 0
  // What happened, in order, printed when the run fails.
  const trace: string[] = [`withheld: ${firstWithheld}`]
  // Bits flipped in stored entries are drawn apart, so that each seed's other draws stay what they were.
  const flips = prng.create(seed ^ 0x5f1ba7)
  // The operator's disk: a wipe of the space, or every room rolled back to the copy; then, one time
  // in two, one bit flipped in one stored entry (a corrupted entry costs only itself: any device
  // holding its content republishes it: shared/src/envelope/entry-repair.ts).
  const storageAttack = async () => {
    storageAttacks++
    await relay.stop()
    if (prng.bool(gen)) {
      await wipeStoredRelay(relay.dataDir, spaceId)
      trace.push('wipe')
      counts.wipes++
    } else {
      rollBackStoredRooms(relay.dataDir, spaceId, earlier)
      trace.push('rollback')
      counts.rollbacks++
    }
    if (prng.bool(flips)) {
      // A room whose rows hold a live entry (a compacted-away room holds none), drawn.
      const rooms = [...readStoredRooms(relay.dataDir, spaceId).keys()].sort(() => prng.int32(flips, -1, 1))
      for (const roomId of rooms) {
        const flipped = (() => {
          try {
            return flipStoredBit(relay.dataDir, spaceId, roomId, (entries) => (entries.length === 0 ? -1 : prng.int32(flips, 0, entries.length - 1)))
          } catch (error) {
            if (error instanceof Error && /^No such entry/.test(error.message)) return null
            throw error
          }
        })()
        if (flipped === null) continue
        trace.push(`flip ${roomId.slice(0, 6)} ${flipped.slice(0, 6)}`)
        counts.flips++
        break
      }
    }
    await relay.restart()
  }
  for (let step = 0; step < 70; step++) {
    const d = prng.oneOf(gen, devices)
    const space = d.practice.space
    const roll = prng.int32(gen, 0, 99)
    trace.push(`${step} ${d.name}${d.online ? '' : ' (offline)'} ${roll}`)
    // A storage run always has the relay misbehave at least once.
    if (step === 50 && mix.storage && storageAttacks === 0) await storageAttack()
    if (roll < 12) {
      made.patients.add(addPatient(await space.openDoc(DIRECTORY_DOC_ID), { birthName: `Patient ${step}`, firstNames: 'Noé' }, actor(d), Date.now))
      counts.edits++
    } else if (roll < 24) {
      const patch = prng.bool(gen)
        ? { phones: [`06 ${prng.int32(gen, 10, 99)} ${prng.int32(gen, 10, 99)} ${prng.int32(gen, 10, 99)} ${prng.int32(gen, 10, 99)}`] }
        : { address: { line1: `${prng.int32(gen, 1, 99)} rue Garibaldi`, postalCode: '69003', city: prng.oneOf(gen, CITIES) } }
      updatePatient(await space.openDoc(DIRECTORY_DOC_ID), prng.oneOf(gen, [...made.patients].slice(0, 3)), patch, actor(d), Date.now)
      counts.edits++
    } else if (roll < 40) {
      const day = `${MONTH}-${String(prng.int32(gen, 1, 28)).padStart(2, '0')}`
      made.appointments.add(
        addAppointment(
          await space.openDoc(agendaDocId(MONTH)),
          { start: `${day}T${String(prng.int32(gen, 8, 18)).padStart(2, '0')}:00`, durationMin: 30, practitionerId: memberId, patientId: filePatient, place: 'practice' },
          actor(d),
          Date.now,
        ),
      )
      counts.edits++
    } else if (roll < 54) {
      const text = getNoteText(await space.openDoc(patientDocId(filePatient)), noteId)
      const word = `w${step}${d.name}`
      // At a word's boundary, so that no later word splits one in two (each word is one insertion).
      const typed = text.toString()
      const boundaries = [0, ...[...typed].flatMap((char, i) => (char === ' ' ? [i + 1] : []))]
      text.insert(prng.oneOf(gen, boundaries), `${word} `)
      made.words.set(word, d.name)
      counts.edits++
    } else if (roll < 66) {
      if (d.online) space.disconnect()
      else space.connect()
      d.online = !d.online
      counts.offline++
    } else if (roll < 73) {
      await space.compact(prng.oneOf(gen, [DIRECTORY_DOC_ID, agendaDocId(MONTH), patientDocId(filePatient)]))
      counts.compactions++
    } else if (roll < 79) {
      await space.destroy()
      const reloaded = await loadPractice({ ...d.env, connect: d.online })
      if (!reloaded) throw new Error(`${d.name} lost its registry on reload`)
      d.practice = reloaded
      counts.reloads++
    } else if (roll < 83) {
      // The operator keeps a copy of the rows, to roll back to later.
      earlier = readStoredRooms(relay.dataDir, spaceId)
      counts.checkpoints++
    } else if (roll < 86) {
      draw()
      trace.push(`withheld: ${[...proxy.policy.withheld].join()}`)
      counts.redraws++
    } else if (roll < 90 && mix.storage && storageAttacks < 2) {
      await storageAttack()
    } else {
      await new Promise((resolve) => setTimeout(resolve, prng.int32(gen, 0, 40)))
    }
  }

  // The honest period: every frame forwarded, every device online until its changes are acknowledged.
  const hostile = { ...proxy.counts }
  proxy.honest()
  for (const d of devices) {
    d.practice.space.connect()
    d.online = true
  }
  // Every device holds the three docs open, as a person looking at them would (the background pass,
  // which would load every room in the app, is off here). A corrupted entry is republished only by a
  // device that has its room loaded and holds the good copy (shared/src/envelope/entry-repair.ts):
  // that may be only its writer, reloaded since without opening the note again.
  for (const d of devices) for (const id of [DIRECTORY_DOC_ID, agendaDocId(MONTH), patientDocId(filePatient)]) await d.practice.space.openDoc(id)
  const read = async (d: SimDevice) => {
    const out: Record<string, unknown> = {}
    const docs: Array<[string, Record<string, string>]> = [
      [DIRECTORY_DOC_ID, DIRECTORY_MAPS],
      [agendaDocId(MONTH), AGENDA_MAPS],
      [patientDocId(filePatient), PATIENT_FILE_MAPS],
    ]
    for (const [id, roots] of STRICT ? docs : docs.slice(0, 2)) {
      const doc = await d.practice.space.openDoc(id)
      out[id] = {
        roots: Object.fromEntries(Object.values(roots).map((r) => [r, doc.getMap(r).toJSON()])),
        sv: Y.decodeStateVector(Y.encodeStateVector(doc)),
      }
    }
    if (STRICT) out.note = getNoteText(await d.practice.space.openDoc(patientDocId(filePatient)), noteId).toString()
    return out
  }
  /** What a device lacks of every change made. */
  const missing = async (d: SimDevice) => {
    const patients = new Set(listPatients(await d.practice.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.id))
    const appointments = new Set(listAppointments(await d.practice.space.openDoc(agendaDocId(MONTH)), {}).items.map((a) => a.id))
    const note = getNoteText(await d.practice.space.openDoc(patientDocId(filePatient)), noteId).toString()
    return {
      patients: [...made.patients].filter((id) => !patients.has(id)),
      appointments: [...made.appointments].filter((id) => !appointments.has(id)),
      // Strict: every word typed anywhere. Today: every word this device typed itself.
      words: [...made.words].filter(([word, by]) => (STRICT || by === d.name) && !note.includes(word)).map(([word]) => word),
    }
  }
  const holdsEverything = async (d: SimDevice) => {
    expect({ device: d.name, lacks: await missing(d) }).toEqual({ device: d.name, lacks: { patients: [], appointments: [], words: [] } })
  }
  try {
    await waitFor(
      async () => {
        for (const d of devices) await d.practice.space.whenAcknowledged(5_000)
        for (const d of devices) await holdsEverything(d)
        const all = await Promise.all(devices.map(read))
        for (const other of all.slice(1)) expect(other).toEqual(all[0])
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    )
  } catch (error) {
    // What each device holds and shows, to read a failing seed.
    for (const d of devices) {
      const { status, pendingChanges, restoredEntries, resentEntries, undecryptableEntries } = d.practice.space.getSyncState()
      const lacks = await missing(d)
      const pendingStructs = await Promise.all(
        [DIRECTORY_DOC_ID, agendaDocId(MONTH), patientDocId(filePatient)].map(async (id) => (await d.practice.space.openDoc(id)).store.pendingStructs !== null),
      )
      console.error(d.name, JSON.stringify({ status, pendingChanges, restoredEntries, resentEntries, undecryptableEntries, lacks, pendingStructs }))
    }
    console.error('counts', JSON.stringify({ ...counts, proxy: hostile }), 'errors', errors.join(', '))
    console.error('trace (step, device, roll)', trace.join(' | '))
    throw error
  }
  // A device that joins now reads everything from the relay alone: whatever the operator broke
  // there — a bit flipped in an entry included — the devices that held it have put back.
  const lateEnv = device('d5', errors)
  devices.push({ name: 'd5', env: lateEnv, practice: await joinWith(code, lateEnv), online: true })
  const late = devices.at(-1)!
  try {
    await waitFor(
      async () => {
        await holdsEverything(late)
        const [first, joined] = await Promise.all([read(devices[0]!), read(late)])
        expect(joined).toEqual(first)
        // A flipped entry the joiner met counts as unrepaired until the copy that answers it is
        // matched, which may land a moment after the data itself: waited for here, then required of all.
        expect(late.practice.space.getSyncState().unrepairedEntries).toBe(0)
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    )
  } catch (error) {
    const { status, pendingChanges, undecryptableEntries, unrepairedEntries } = late.practice.space.getSyncState()
    console.error('d5 (joined after)', JSON.stringify({ status, pendingChanges, undecryptableEntries, unrepairedEntries, lacks: await missing(late) }))
    console.error('counts', JSON.stringify(counts), 'trace', trace.join(' | '))
    throw error
  }
  console.log('seed', seed, JSON.stringify({ ...counts, proxy: hostile, restored: devices.map((d) => d.practice.space.getSyncState().restoredEntries), unreadable: devices.map((d) => d.practice.space.getSyncState().undecryptableEntries) }))

  // The run did real work, and the relay did misbehave. Bounds a fair seed all but never misses:
  // a step goes offline, reloads or compacts one time in four (17.5 of 70 on average); « more than
  // 8 » failed seed 1034973383 (wire), which drew exactly 8 — 0.4 % of seeds draw 8 or fewer,
  // 0.002 % draw 4 or fewer.
  expect(counts.edits).toBeGreaterThan(20)
  expect(counts.offline + counts.reloads + counts.compactions).toBeGreaterThan(4)
  expect(hostile.forwarded).toBeGreaterThan(100)
  expect(hostile.dropped + hostile.reordered + hostile.replayed + hostile.cut + hostile.withheld + counts.wipes + counts.rollbacks).toBeGreaterThan(0)
  // Nothing here forges an entry: no device may count one it cannot decrypt — but for a flipped
  // one, which stays on the relay beside the copy that answers it, and must have been answered.
  for (const d of devices) {
    const { undecryptableEntries, unrepairedEntries } = d.practice.space.getSyncState()
    expect({ device: d.name, undecryptable: Math.max(0, undecryptableEntries - counts.flips), unrepaired: unrepairedEntries }).toEqual({ device: d.name, undecryptable: 0, unrepaired: 0 })
  }
}
