/**
 * The first-screen record: built from real docs (model API), kept encrypted in (fake) IndexedDB,
 * shown through the digest holders with the rules that keep the newest and the whole.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { randomBytes, randomId } from '../../../../shared/src/crypto/base64url'
import { deriveDigestKey } from '../../../../shared/src/digest/digest-cipher'
import { addAppointment, initAgendaDoc } from '../../../../shared/src/model/agenda'
import { agendaDocId } from '../../../../shared/src/model/doc-ids'
import { mergePatients } from '../../../../shared/src/model/patient-duplicates'
import { addPatient } from '../../../../shared/src/model/patients'
import { initPractice } from '../../../../shared/src/model/practice'
import { alice, steppingClock } from '../../../../shared/src/model/test-support'
import { DirectoryDigestHolder, WeekDigestHolder } from '../digests/digest-source'
import type { DocLease } from '../practice/practice-handle'
import { FirstScreenKeeper } from './first-screen-keeper'
import { buildDirectoryDigest } from '../../../../shared/src/digest/directory-digest'
import { buildWeekDigest, weekDigestCoversDocs } from '../../../../shared/src/digest/week-digest'
import { getPatient } from '../../../../shared/src/model/patients'
import { buildFirstScreenRecord, FirstScreenStore, type FirstScreenRecord } from './first-screen-record'

/** Wednesday 25 November 2026: the window is Monday 23 November to Sunday 6 December (two months). */
const TODAY = '2026-11-25'
const NOW = Date.UTC(2026, 10, 25, 9)

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function practice() {
  const clock = steppingClock()
  const directory = new Y.Doc()
  const practitionerId = initPractice(directory, { name: 'Cabinet des Lilas', firstPractitioner: { displayName: 'Jeanne Roux', profession: 'kine' } }, alice, clock)
  const kept = addPatient(directory, { birthName: 'Martin', firstNames: 'Lucie' }, alice, clock)
  const merged = addPatient(directory, { birthName: 'Martin', firstNames: 'Lucie', phones: ['0612345678'] }, alice, clock)
  const elsewhere = addPatient(directory, { birthName: 'Bernard', firstNames: 'Paul' }, alice, clock)
  const absent = addPatient(directory, { birthName: 'Petit', firstNames: 'Léa' }, alice, clock)
  mergePatients(directory, kept, merged, alice, clock)
  const months = ['2026-11', '2026-12'].map((month) => {
    const doc = new Y.Doc({ guid: agendaDocId(month) })
    initAgendaDoc(doc, month)
    return doc
  })
  const [nov, dec] = months as [Y.Doc, Y.Doc]
  const base = { durationMin: 30, practitionerId }
  // The merged-away id still names an appointment booked before the merge reached it.
  addAppointment(nov, { ...base, start: '2026-11-23T08:00', patientId: merged }, alice, clock)
  addAppointment(dec, { ...base, start: '2026-12-03T10:00', patientId: elsewhere }, alice, clock)
  addAppointment(nov, { ...base, start: '2026-11-20T10:00', patientId: absent }, alice, clock) // the week before: out
  return { directory, months, practitionerId, ids: { kept, merged, elsewhere, absent } }
}

/** The practice, and 80 more appointments in the window, each naming a patient of its own. */
function busyPractice() {
  const made = practice()
  const clock = steppingClock()
  const { practitionerId } = made
  const [nov, dec] = made.months as [Y.Doc, Y.Doc]
  for (let i = 0; i < 80; i++) {
    const patientId = addPatient(made.directory, { birthName: `Patient${i}`, firstNames: 'Test' }, alice, clock)
    const day = i % 2 === 0 ? '2026-11-24' : '2026-12-02'
    const start = `${day}T${String(8 + (i % 10)).padStart(2, '0')}:${String(Math.floor(i / 10) * 5).padStart(2, '0')}`
    addAppointment(day < '2026-12-01' ? nov : dec, { durationMin: 30, practitionerId, start, patientId }, alice, clock)
  }
  return made
}

/** Built with the thread never given back (Node: nothing to draw). */
function build(directory: Y.Doc, months: readonly Y.Doc[], today: string, now: number): Promise<FirstScreenRecord> {
  return buildFirstScreenRecord(directory, months, today, now, { nextSlice: () => Promise.resolve() })
}

async function store(key?: CryptoKey): Promise<FirstScreenStore> {
  const spaceId = randomId(16)
  const made = new FirstScreenStore({ idbName: `first-screen-test-${randomId(8)}`, spaceId, key: key ?? (await deriveDigestKey(spaceId, randomBytes(32))) })
  cleanups.push(() => made.close())
  return made
}

describe('buildFirstScreenRecord', () => {
  it('holds the window of the week digest, and only the patients it names with those they were merged into', async () => {
    const { directory, months, ids } = practice()
    const record = await build(directory, months, TODAY, NOW)
    expect(record.week.from).toBe('2026-11-23')
    expect(record.week.to).toBe('2026-12-06')
    expect(record.week.appointments.map((a) => a.start)).toEqual(['2026-11-23T08:00', '2026-12-03T10:00'])
    expect(record.directory.partial).toBe(true)
    expect(new Set(record.directory.patients.map((p) => p.id))).toEqual(new Set([ids.merged, ids.kept, ids.elsewhere]))
    expect(record.directory.practitioners.map((p) => p.displayName)).toEqual(['Jeanne Roux'])
    expect(record.directory.practice?.name).toBe('Cabinet des Lilas')
  })
})

describe('buildFirstScreenRecord in slices', () => {
  it('equals the record built in one go, and gives the thread back between slices of records read', async () => {
    const { directory, months, ids } = busyPractice()
    let turns = 0
    const sliced = await buildFirstScreenRecord(directory, months, TODAY, NOW, { nextSlice: async () => void turns++, perSlice: 10 })
    // In one go: the week digest as built in one task, and the patients it names read the same way.
    const week = buildWeekDigest(months, TODAY, NOW)
    const named = new Set(week.appointments.map((a) => a.patientId).filter((id) => id !== undefined))
    named.add(ids.kept) // the merged-away patient's: followed
    const patients = [...named].map((id) => getPatient(directory, id)!)
    const whole = buildDirectoryDigest(directory, NOW, patients)
    expect(sliced.week).toEqual(week)
    expect(sliced.directory.stateVector).toEqual(whole.stateVector)
    expect(new Map(sliced.directory.patients.map((p) => [p.id, p]))).toEqual(new Map(patients.map((p) => [p.id, p])))
    expect({ ...sliced.directory, patients: [] }).toEqual({ ...whole, patients: [] })
    // 82 appointments and 83 patients read, 10 a slice: the work is split, none of it is one task.
    expect(turns).toBeGreaterThanOrEqual(14)
  })

  it('never claims a change that landed while it was read', async () => {
    const { directory, months, practitionerId, ids } = busyPractice()
    let changed = false
    const nextSlice = async () => {
      if (changed) return
      changed = true
      addPatient(directory, { birthName: 'Nouveau', firstNames: 'Arrivé' }, alice, steppingClock())
      addAppointment(months[1]!, { durationMin: 30, practitionerId, start: '2026-12-05T17:00', patientId: ids.absent }, alice, steppingClock())
    }
    const record = await buildFirstScreenRecord(directory, months, TODAY, NOW, { nextSlice, perSlice: 10 })
    expect(changed).toBe(true)
    expect(weekDigestCoversDocs(record.week, TODAY, months)).toBe(false)
    expect(Y.decodeStateVector(record.directory.stateVector)).not.toEqual(Y.decodeStateVector(Y.encodeStateVector(directory)))
  })
})

describe('FirstScreenStore', () => {
  it('checks the record it reads in slices, the thread given back between them', async () => {
    const { directory, months } = busyPractice()
    const record = await build(directory, months, TODAY, NOW)
    const kept = await store()
    await kept.write(record)
    let turns = 0
    const sliced = new FirstScreenStore({ ...(kept as unknown as { options: { idbName: string; spaceId: string; key: CryptoKey } }).options, nextSlice: async () => void turns++ })
    cleanups.push(() => sliced.close())
    const read = await sliced.read()
    expect(read?.week).toEqual(record.week)
    expect(turns).toBeGreaterThanOrEqual(1) // 82 appointments, 50 checked a slice
  })

  it('reads back what it wrote, still partial', async () => {
    const { directory, months } = practice()
    const record = await build(directory, months, TODAY, NOW)
    const kept = await store()
    expect(await kept.read()).toBeNull()
    await kept.write(record)
    const read = await kept.read()
    expect(read?.week).toEqual(record.week)
    expect(read?.directory.partial).toBe(true)
    expect(read?.directory.patients.map((p) => p.id)).toEqual(record.directory.patients.map((p) => p.id))
  })

  /** A record written, and a store of the same database with another practice's key. */
  async function underAnotherKey(): Promise<FirstScreenStore> {
    const { directory, months } = practice()
    const written = await store()
    await written.write(await build(directory, months, TODAY, NOW))
    const other = new FirstScreenStore({
      ...(written as unknown as { options: { idbName: string; spaceId: string } }).options,
      key: await deriveDigestKey(randomId(16), randomBytes(32)),
    })
    cleanups.push(() => other.close())
    return other
  }

  it('refuses a record it cannot authenticate (another key)', async () => {
    const other = await underAnotherKey()
    await expect(other.read()).rejects.toThrow()
  })

  it('returns a read started ahead once, then reads again', async () => {
    const { directory, months } = practice()
    const kept = await store()
    await kept.write(await build(directory, months, TODAY, NOW))
    kept.readAhead()
    // Written after the read ahead began: that read is what the next read() gives, the one after sees the change.
    const later = await build(directory, months, TODAY, NOW + 60_000)
    const ahead = kept.read()
    await kept.write(later)
    expect((await ahead)?.week.builtAt).toBe(NOW)
    expect((await kept.read())?.week.builtAt).toBe(NOW + 60_000)
  })

  it('surfaces a read ahead that fails in the read that takes it, and only there', async () => {
    const other = await underAnotherKey()
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      other.readAhead()
      await new Promise((resolve) => setTimeout(resolve, 50))
      await expect(other.read()).rejects.toThrow()
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

describe('FirstScreenKeeper', () => {
  function keeper(kept: FirstScreenStore, docs: Map<string, Y.Doc>, errors: unknown[], held = new Set<string>()) {
    const directoryHolder = new DirectoryDigestHolder()
    const weekHolder = new WeekDigestHolder()
    const acquireDoc = (docId: string): Promise<DocLease> => {
      held.add(docId)
      return Promise.resolve({ doc: docs.get(docId)!, release: () => held.delete(docId) })
    }
    const made = new FirstScreenKeeper({ store: kept, directoryHolder, weekHolder, acquireDoc, timeZone: 'Europe/Paris', now: () => NOW, settleMs: 5, minIntervalMs: 0, onError: (e) => errors.push(e) })
    cleanups.push(() => made.stop())
    return { made, directoryHolder, weekHolder }
  }

  it('writes once started, and a later cold start shows it', async () => {
    const { directory, months } = practice()
    const docs = new Map<string, Y.Doc>([['directory', directory], ...months.map((doc) => [doc.guid, doc] as [string, Y.Doc])])
    const kept = await store()
    const errors: unknown[] = []
    const first = keeper(kept, docs, errors)
    await first.made.writeSoon() // not started: nothing written
    expect(await kept.read()).toBeNull()
    first.made.start()
    await first.made.writeSoon()
    const second = keeper(kept, docs, errors)
    expect(await second.made.show()).toBe(true)
    expect(second.weekHolder.current()?.appointments).toHaveLength(2)
    expect(second.directoryHolder.current()?.partial).toBe(true)
    expect(errors).toEqual([])
  })

  it('rewrites the record once a doc it reads has changed, and lets the docs go when stopped', async () => {
    const { directory, months, ids } = practice()
    const docs = new Map<string, Y.Doc>([['directory', directory], ...months.map((doc) => [doc.guid, doc] as [string, Y.Doc])])
    const kept = await store()
    const held = new Set<string>()
    const { made } = keeper(kept, docs, [], held)
    made.start()
    await made.writeSoon()
    expect((await kept.read())?.week.appointments).toHaveLength(2)
    expect(held).toEqual(new Set(['directory', ...months.map((doc) => doc.guid)]))
    const practitionerId = (await kept.read())!.directory.practitioners[0]!.id
    addAppointment(months[1]!, { start: '2026-12-04T11:00', durationMin: 30, practitionerId, patientId: ids.absent }, alice, steppingClock())
    await expect.poll(async () => (await kept.read())?.week.appointments.length, { timeout: 5_000 }).toBe(3)
    expect((await kept.read())?.directory.patients.map((p) => p.id)).toContain(ids.absent)
    made.stop()
    expect(held.size).toBe(0)
  })

  it('shows nothing, and says why, when the record does not decrypt', async () => {
    const kept = await store()
    await kept.write(await build(practice().directory, practice().months, TODAY, NOW))
    const other = new FirstScreenStore({ ...(kept as unknown as { options: { idbName: string; spaceId: string } }).options, key: await deriveDigestKey(randomId(16), randomBytes(32)) })
    const errors: unknown[] = []
    const { made, weekHolder, directoryHolder } = keeper(other, new Map(), errors)
    expect(await made.show()).toBe(false)
    expect(weekHolder.current()).toBeNull()
    expect(directoryHolder.current()).toBeNull()
    expect(errors).toHaveLength(1)
  })
})

describe('the holders with two sources', () => {
  it('keep the week built last, and a whole directory over a partial one', async () => {
    const { directory, months } = practice()
    const record = await build(directory, months, TODAY, NOW)
    const week = new WeekDigestHolder()
    week.set(record.week)
    week.set({ ...record.week, builtAt: NOW - 60_000 }) // the relay's, older: kept out
    expect(week.current()).toBe(record.week)
    const newer = { ...record.week, builtAt: NOW + 60_000 }
    week.set(newer)
    expect(week.current()).toBe(newer)

    const names = new DirectoryDigestHolder()
    const { partial: _partial, ...whole } = record.directory
    names.set(whole)
    names.set(record.directory) // a partial one never hides a whole one
    expect(names.current()).toBe(whole)
    const partialFirst = new DirectoryDigestHolder()
    partialFirst.set(record.directory)
    partialFirst.set(whole)
    expect(partialFirst.current()).toBe(whole)
  })
})
