import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { deriveSpaceKeys } from '../crypto/space-keys'
import { randomBytes, randomId } from '../crypto/base64url'
import { Envelope } from '../envelope/envelope'
import { ACCESS_COALESCE_MS, accessLogArray, fileOpenings, listFileOpenings, recordFileOpening } from './access-log'
import type { AccessEntry } from './access-log'
import type { Actor } from './actor'
import { fixedClock } from './actor'
import { toInstant } from './dates'
import { patientDocId } from './doc-ids'
import { mergePatients } from './patient-duplicates'
import { addNote } from './patient-file'
import { PatientRedirects } from './patient-redirects'
import { addPatient } from './patients'
import { alice, bob, exchange, fork, steppingClock } from './test-support'

const PARIS = 'Europe/Paris'
const at = (localDateTime: string): number => toInstant(localDateTime, PARIS)
/** Alice's other device: same member, another device id. */
const aliceTablet: Actor = { memberId: alice.memberId, deviceId: 'device-alice-tablet' }

const opening = (when: number, by: Actor): AccessEntry => ({ kind: 'open', at: when, by })

describe('recordFileOpening', () => {
  it('records who opened the file, from which device and when; lists newest first', () => {
    const doc = new Y.Doc()
    expect(recordFileOpening(doc, alice, fixedClock(at('2026-11-23T09:00')))).toEqual(opening(at('2026-11-23T09:00'), alice))
    recordFileOpening(doc, bob, fixedClock(at('2026-11-23T09:30')))
    recordFileOpening(doc, alice, fixedClock(at('2026-11-24T08:00')))
    expect(listFileOpenings(doc)).toEqual([
      opening(at('2026-11-24T08:00'), alice),
      opening(at('2026-11-23T09:30'), bob),
      opening(at('2026-11-23T09:00'), alice),
    ])
  })

  it('coalesces re-openings by the same member on the same device within 10 minutes, across the new year', () => {
    const doc = new Y.Doc()
    const first = at('2026-12-31T23:55')
    expect(recordFileOpening(doc, alice, fixedClock(first))).not.toBeNull()
    // 00:04 on 1 January is 9 minutes later: the same consultation.
    expect(recordFileOpening(doc, alice, fixedClock(at('2027-01-01T00:04')))).toBeNull()
    // The window runs from the latest entry recorded, not from the last tap.
    expect(recordFileOpening(doc, alice, fixedClock(first + ACCESS_COALESCE_MS - 1))).toBeNull()
    expect(recordFileOpening(doc, alice, fixedClock(at('2027-01-01T00:05')))).toEqual(opening(at('2027-01-01T00:05'), alice))
    expect(listFileOpenings(doc).map((e) => e.at)).toEqual([at('2027-01-01T00:05'), first])
  })

  it('measures the window in real time on DST change days', () => {
    // 25 October 2026: 03:00 CEST becomes 02:00 CET. 02:55 CEST then 02:02 CET is 7 minutes later,
    // though the wall clock went back: coalesced. 02:05 CET (10 minutes after) is a new opening.
    const autumn = new Y.Doc()
    const beforeChange = Date.UTC(2026, 9, 25, 0, 55) // 02:55 CEST
    recordFileOpening(autumn, alice, fixedClock(beforeChange))
    expect(recordFileOpening(autumn, alice, fixedClock(Date.UTC(2026, 9, 25, 1, 2)))).toBeNull() // 02:02 CET
    expect(recordFileOpening(autumn, alice, fixedClock(Date.UTC(2026, 9, 25, 1, 5)))).not.toBeNull() // 02:05 CET
    expect(listFileOpenings(autumn)).toHaveLength(2)

    // 29 March 2026: 02:00 CET becomes 03:00 CEST. 01:58 CET then 03:03 CEST is 5 minutes later,
    // though the wall clock moved by 65: coalesced.
    const spring = new Y.Doc()
    recordFileOpening(spring, alice, fixedClock(at('2026-03-29T01:58')))
    expect(at('2026-03-29T03:03') - at('2026-03-29T01:58')).toBe(5 * 60_000)
    expect(recordFileOpening(spring, alice, fixedClock(at('2026-03-29T03:03')))).toBeNull()
    expect(listFileOpenings(spring)).toHaveLength(1)
  })

  it('does not coalesce another member, another device, or a clock that went back', () => {
    const doc = new Y.Doc()
    const t = at('2026-11-23T09:00')
    recordFileOpening(doc, alice, fixedClock(t))
    expect(recordFileOpening(doc, bob, fixedClock(t + 60_000))).not.toBeNull()
    expect(recordFileOpening(doc, aliceTablet, fixedClock(t + 60_000))).not.toBeNull()
    // This device's clock was set back an hour: the opening is recorded with the time it says.
    expect(recordFileOpening(doc, alice, fixedClock(t - 3_600_000))).not.toBeNull()
    expect(listFileOpenings(doc)).toHaveLength(4)
  })

  it('keeps both openings recorded on two devices that were offline', () => {
    const a = new Y.Doc()
    const b = fork(a)
    recordFileOpening(a, alice, fixedClock(at('2026-11-23T09:00')))
    recordFileOpening(b, bob, fixedClock(at('2026-11-23T09:01')))
    exchange(a, b)
    for (const doc of [a, b]) {
      expect(listFileOpenings(doc)).toEqual([opening(at('2026-11-23T09:01'), bob), opening(at('2026-11-23T09:00'), alice)])
    }
  })

  it('coalesces with this device’s own earlier opening once it is in the doc, whoever else wrote since', () => {
    const a = new Y.Doc()
    const b = fork(a)
    recordFileOpening(a, alice, fixedClock(at('2026-11-23T09:00')))
    recordFileOpening(b, bob, fixedClock(at('2026-11-23T09:02')))
    exchange(a, b)
    expect(recordFileOpening(a, alice, fixedClock(at('2026-11-23T09:05')))).toBeNull()
  })

  it('skips entries it cannot read instead of failing', () => {
    const doc = new Y.Doc()
    accessLogArray(doc).push([{ kind: 'print', at: 5, by: alice }, { kind: 'open', at: 'soon', by: alice }, 42])
    recordFileOpening(doc, alice, fixedClock(at('2026-11-23T09:00')))
    expect(listFileOpenings(doc)).toEqual([opening(at('2026-11-23T09:00'), alice)])
  })
})

describe('the log of a patient with duplicates merged into it', () => {
  it('shows the openings of the merged-away file, also one recorded offline after the merge', () => {
    const clock = steppingClock()
    const directoryA = new Y.Doc()
    const kept = addPatient(directoryA, { birthName: 'Durand', firstNames: 'Paul', birthDate: '1950-01-01' }, alice, clock)
    const dropped = addPatient(directoryA, { birthName: 'DURAND', firstNames: 'Paul', birthDate: '1950-01-01' }, alice, clock)
    const directoryB = fork(directoryA)
    const keptFile = new Y.Doc({ guid: patientDocId(kept) })
    const droppedFileA = new Y.Doc({ guid: patientDocId(dropped) })
    recordFileOpening(keptFile, alice, fixedClock(at('2026-11-23T09:00')))
    mergePatients(directoryA, kept, dropped, alice, clock)
    // B had not heard of the merge: it opened the duplicate's file, offline.
    const droppedFileB = fork(droppedFileA)
    recordFileOpening(droppedFileB, bob, fixedClock(at('2026-11-23T10:00')))
    exchange(directoryA, directoryB)
    exchange(droppedFileA, droppedFileB)

    const files = new Map([
      [kept, keptFile],
      [dropped, droppedFileA],
    ])
    const members = PatientRedirects.fromDirectory(directoryA).membersOf(dropped)
    expect(members[0]).toBe(kept)
    expect(fileOpenings(members.map((id) => files.get(id)!))).toEqual([
      opening(at('2026-11-23T10:00'), bob),
      opening(at('2026-11-23T09:00'), alice),
    ])
  })
})

describe('the log in the envelope', () => {
  async function envelope(keys: Awaited<ReturnType<typeof deriveSpaceKeys>>): Promise<Envelope> {
    const docIds = ['patient/p1']
    return new Envelope(new Y.Doc({ gc: true }), keys, 'files/1', { batchDelayMs: 1, compactAfterEntries: 1000, compactDelayMs: 1, docIdsOf: async () => docIds })
  }

  it('adds one small encrypted entry per recorded opening (size measured here, said in docs/threat-model.md)', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const env = await envelope(keys)
    const file = await env.openDoc('patient/p1')
    addNote(file, { date: '2026-11-23', kind: 'session', text: 'Lombalgie' }, alice, fixedClock(at('2026-11-23T09:00')))
    await env.flush()
    const before = env.entries.length
    // Real member and device ids are 22-character record ids.
    const actor: Actor = { memberId: 'mQ3xT0aZ9bK2LwP7rS4uVe', deviceId: 'dK9fH2jL5nB8cX1zQ6wRtY' }
    const stateBefore = Y.encodeStateVector(file)
    recordFileOpening(file, actor, fixedClock(at('2026-11-23T09:10')))
    const yjsBytes = Y.encodeStateAsUpdate(file, stateBefore).length
    await env.flush()
    expect(env.entries.length).toBe(before + 1)
    const entry = env.entries.get(env.entries.length - 1)
    // One opening: 118 bytes of Yjs update (mostly the entry's JSON: keys and two 22-char ids),
    // 155 bytes once sealed with its entry header, IV and tag (measured 2026-12-07).
    expect(yjsBytes).toBeGreaterThan(100)
    expect(yjsBytes).toBeLessThan(130)
    expect(entry.c.length).toBeLessThan(180)
    // A re-opening within the window writes nothing at all.
    recordFileOpening(file, actor, fixedClock(at('2026-11-23T09:15')))
    await env.flush()
    expect(env.entries.length).toBe(before + 1)
  })

  it('is erased with the patient’s file', async () => {
    const keys = await deriveSpaceKeys(randomId(), randomBytes(32))
    const env = await envelope(keys)
    recordFileOpening(await env.openDoc('patient/p1'), alice, fixedClock(at('2026-11-23T09:00')))
    await env.flush()
    const copy = await envelope(keys)
    Y.applyUpdate(copy.doc, Y.encodeStateAsUpdate(env.doc), 'remote')
    expect(listFileOpenings(await copy.openDoc('patient/p1'))).toHaveLength(1)
    await env.erase('patient/p1')
    expect(listFileOpenings(await env.openDoc('patient/p1'))).toEqual([])
    const fresh = await envelope(keys)
    Y.applyUpdate(fresh.doc, Y.encodeStateAsUpdate(env.doc), 'remote')
    expect(listFileOpenings(await fresh.openDoc('patient/p1'))).toEqual([])
  })
})
