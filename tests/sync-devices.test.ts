/**
 * Devices and a real relay process: offline edits on three devices, reconnection in random order,
 * a fresh device joining, reload from IndexedDB without network, a relay restart, and a byte
 * search for patient names in everything the relay received and stored.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createPractice, loadPractice, type DeviceEnvironment, type OpenPractice } from '../client/src/sync/device/device'
import { DIRECTORY_DOC_ID, agendaDocId, patientDocId } from '../shared/src/model/doc-ids'
import { addPatient, getPatient, listPatients, updatePatient } from '../shared/src/model/patients'
import { addAppointment, listAppointments } from '../shared/src/model/agenda'
import { addNote, getNoteText } from '../shared/src/model/patient-file'
import { AGENDA_MAPS, DIRECTORY_MAPS, PATIENT_FILE_MAPS } from '../shared/src/model/collections'
import { actorOf, useRelayFixture } from './helpers/relay-fixture'
import { nodeDeviceEnvironment, type RecordedFrames } from './helpers/node-device'
import { waitFor } from './helpers/wait-for'
import { filesUnder } from './helpers/files-under'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

const frames: RecordedFrames = { sent: [] }
const fixture = useRelayFixture()
const track = fixture.track

async function snapshot(p: OpenPractice, month: string, patientId: string) {
  const directory = await p.space.openDoc(DIRECTORY_DOC_ID)
  const agenda = await p.space.openDoc(agendaDocId(month))
  const file = await p.space.openDoc(patientDocId(patientId))
  // Named roots, read as maps: Y.Doc.toJSON() leaves out roots this device never accessed.
  const read = (doc: Y.Doc, roots: Record<string, string>) =>
    Object.fromEntries(Object.values(roots).map((name) => [name, doc.getMap(name).toJSON()]))
  return {
    directory: read(directory, DIRECTORY_MAPS),
    agenda: read(agenda, AGENDA_MAPS),
    file: read(file, PATIENT_FILE_MAPS),
    vectors: [directory, agenda, file].map((d) => Y.decodeStateVector(Y.encodeStateVector(d))),
  }
}

describe('three devices and a relay', () => {
  let envs: DeviceEnvironment[]
  let devices: OpenPractice[]
  let patientId: string
  const month = '2026-11'

  it('a practice created on one device is joined by two others with the pairing code', async () => {
    envs = ['tablette', 'telephone', 'bureau'].map((n) => nodeDeviceEnvironment(n, frames))
    const first = await track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet Quenouillère', practitioner: { displayName: 'Inès Quenouillère', profession: 'kine' } },
        envs[0]!,
      ),
    )
    const directory = await first.space.openDoc(DIRECTORY_DOC_ID)
    patientId = addPatient(
      directory,
      { birthName: 'Zéphyrinovska', firstNames: 'Odalrique', birthDate: '1958-03-12', phones: ['06 11 22 33 44'] },
      actorOf(first),
      Date.now,
    )
    await first.space.whenAcknowledged()
    const code = await pairingTicket(first.record.spaceId, envs[0]!)
    const second = await track(joinWith(code, envs[1]!))
    const third = await track(joinWith(code, envs[2]!))
    devices = [first, second, third]
    for (const d of devices.slice(1)) {
      const dir = await d.space.openDoc(DIRECTORY_DOC_ID)
      await waitFor(() => expect(getPatient(dir, patientId)?.birthName).toBe('Zéphyrinovska'))
    }
  })

  it('edits made offline on all three merge with nothing lost, whatever the reconnection order', async () => {
    for (const d of devices) d.space.disconnect()
    const [a, b, c] = devices as [OpenPractice, OpenPractice, OpenPractice]

    // Different fields of one patient record, on three devices at once.
    updatePatient(await a.space.openDoc(DIRECTORY_DOC_ID), patientId, { phones: ['07 98 76 54 32'] }, actorOf(a), Date.now)
    updatePatient(
      await b.space.openDoc(DIRECTORY_DOC_ID),
      patientId,
      { address: { line1: '12 rue des Quenouilles', postalCode: '69003', city: 'Lyon', accessNotes: 'code 4821B' } },
      actorOf(b),
      Date.now,
    )
    updatePatient(await c.space.openDoc(DIRECTORY_DOC_ID), patientId, { email: 'odalrique@example.fr' }, actorOf(c), Date.now)

    // The same agenda month: each books, two of them the same slot (an overlap to show, not to lose).
    const practitionerId = a.record.memberId!
    for (const [i, d] of devices.entries()) {
      addAppointment(
        await d.space.openDoc(agendaDocId(month)),
        { start: `2026-11-23T${i === 2 ? '09' : '10'}:00`, durationMin: 30, practitionerId, patientId, place: 'practice' },
        actorOf(d),
        Date.now,
      )
    }
    // The same clinical note, typed on two devices.
    const fileA = await a.space.openDoc(patientDocId(patientId))
    const noteId = addNote(fileA, { date: '2026-11-23', kind: 'session', text: 'Lombalgie.' }, actorOf(a), Date.now)
    await a.space.flush()
    const fileB = await b.space.openDoc(patientDocId(patientId))
    // b has not seen the note yet (offline): it writes its own; a appends to its note.
    const noteB = addNote(fileB, { date: '2026-11-23', kind: 'assessment', text: 'Bilan initial.' }, actorOf(b), Date.now)
    getNoteText(fileA, noteId).insert(getNoteText(fileA, noteId).length, ' Mobilité réduite.')
    for (const d of devices) await d.space.flush()

    // Reconnect in a random order, one at a time.
    const order = [...devices].sort(() => Math.random() - 0.5)
    for (const d of order) {
      d.space.connect()
      await d.space.whenAcknowledged()
    }
    const snapshots = await waitFor(async () => {
      const all = await Promise.all(devices.map((d) => snapshot(d, month, patientId)))
      for (const s of all.slice(1)) expect(s).toEqual(all[0])
      return all
    })

    const dir = await a.space.openDoc(DIRECTORY_DOC_ID)
    const merged = getPatient(dir, patientId)!
    expect(merged.phones).toEqual(['0798765432'])
    expect(merged.address?.city).toBe('Lyon')
    expect(merged.email).toBe('odalrique@example.fr')
    expect(listAppointments(await a.space.openDoc(agendaDocId(month)), {}).items.length).toBe(3)
    expect(getNoteText(await c.space.openDoc(patientDocId(patientId)), noteId).toString()).toBe('Lombalgie. Mobilité réduite.')
    expect(getNoteText(await c.space.openDoc(patientDocId(patientId)), noteB).toString()).toBe('Bilan initial.')
    expect(snapshots).toHaveLength(3)
  })

  it('a fresh device that joins gets everything', async () => {
    const code = await pairingTicket(devices[0]!.record.spaceId, envs[0]!)
    const fresh = await track(joinWith(code, nodeDeviceEnvironment('nouvelle-tablette', frames)))
    const expected = await snapshot(devices[0]!, month, patientId)
    await waitFor(async () => expect(await snapshot(fresh, month, patientId)).toEqual(expected))
  })

  it('a device reloaded from IndexedDB with no network shows its data, and its pending change', async () => {
    const a = devices[0]!
    a.space.disconnect()
    const dir = await a.space.openDoc(DIRECTORY_DOC_ID)
    updatePatient(dir, patientId, { usualName: 'Hors-Ligne' }, actorOf(a), Date.now)
    await a.space.flush()
    expect(a.space.getSyncState().pendingChanges).toBeGreaterThan(0)
    await a.space.destroy()

    const offlineEnv: DeviceEnvironment = { ...envs[0]!, connect: false }
    const reloaded = await track(loadPractice(offlineEnv).then((p) => p!))
    const reloadedDir = await reloaded.space.openDoc(DIRECTORY_DOC_ID)
    expect(getPatient(reloadedDir, patientId)?.usualName).toBe('Hors-Ligne')
    expect(getPatient(reloadedDir, patientId)?.address?.city).toBe('Lyon')
    expect(listPatients(reloadedDir, {}).items.length).toBe(1)
    expect(reloaded.space.getSyncState().status).toBe('offline')
    // Only the offline change is pending, not the whole envelope: acks were remembered.
    expect(reloaded.space.getSyncState().pendingChanges).toBe(1)

    reloaded.space.connect()
    await reloaded.space.whenAcknowledged()
    const other = await devices[1]!.space.openDoc(DIRECTORY_DOC_ID)
    await waitFor(() => expect(getPatient(other, patientId)?.usualName).toBe('Hors-Ligne'))
    devices[0] = reloaded
  })

  it('a relay restarted mid-session loses nothing it acknowledged', async () => {
    const [a, b] = devices as [OpenPractice, OpenPractice]
    const agendaA = await a.space.openDoc(agendaDocId(month))
    const before = listAppointments(agendaA, {}).items.length
    addAppointment(
      agendaA,
      { start: '2026-11-24T14:30', durationMin: 45, practitionerId: a.record.memberId!, patientId, place: 'home' },
      actorOf(a),
      Date.now,
    )
    await a.space.whenAcknowledged()
    // Hard kill: only what was durable before the ack can survive this.
    await fixture.relay.stop('SIGKILL')
    await fixture.relay.restart()
    const fresh = await track(joinWith(await pairingTicket(a.record.spaceId, envs[0]!), nodeDeviceEnvironment('apres-redemarrage', frames)))
    const agendaFresh = await fresh.space.openDoc(agendaDocId(month))
    await waitFor(() => expect(listAppointments(agendaFresh, {}).items.length).toBe(before + 1))
    // The connected devices come back by themselves and keep syncing.
    const agendaB = await b.space.openDoc(agendaDocId(month))
    await waitFor(() => expect(listAppointments(agendaB, {}).items.length).toBe(before + 1))
    addAppointment(
      agendaB,
      { start: '2026-11-25T08:00', durationMin: 30, practitionerId: a.record.memberId!, patientId, place: 'practice' },
      actorOf(b),
      Date.now,
    )
    await waitFor(() => expect(listAppointments(agendaA, {}).items.length).toBe(before + 2))
  })

  it('the relay never received nor stored a patient name, a note or a doc id in clear', async () => {
    for (const d of devices) await d.space.whenAcknowledged()
    const needles = ['Zéphyrinovska', 'Odalrique', 'Quenouilles', 'Lombalgie', 'odalrique@example.fr', '4821B', 'Hors-Ligne', patientDocId(patientId)]
    const encoded = needles.map((n) => Buffer.from(n, 'utf8'))
    expect(frames.sent.length).toBeGreaterThan(10)
    const sent = Buffer.concat(frames.sent)
    const stored = filesUnder(fixture.relay.dataDir).map((f) => readFileSync(f))
    expect(stored.reduce((n, b) => n + b.length, 0)).toBeGreaterThan(1000)
    const logs = Buffer.from(fixture.relay.logs.join('\n'))
    for (const needle of encoded) {
      expect(sent.includes(needle), `frames contain ${needle}`).toBe(false)
      for (const file of stored) expect(file.includes(needle), `relay storage contains ${needle}`).toBe(false)
      expect(logs.includes(needle), `relay logs contain ${needle}`).toBe(false)
    }
    // Positive controls: the same searches do find what is there (ciphertext on the wire, the
    // space id in storage), so the negatives above are not vacuous.
    const someCiphertext = devices[0]!.space.inspect.mainEnvelope.entries.get(0).c.subarray(0, 32)
    expect(sent.includes(Buffer.from(someCiphertext))).toBe(true)
    expect(Buffer.concat(stored).includes(Buffer.from(devices[0]!.record.spaceId))).toBe(true)
    const credentialLeak = fixture.relay.logs.some((l) => /tournee-auth\.|Bearer /i.test(l))
    expect(credentialLeak).toBe(false)
  })
})
