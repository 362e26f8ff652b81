/**
 * The practice of the key-epoch tests (key-epochs.test.ts, key-epochs-digests.test.ts): devices
 * on a file's relay process, the first creating the practice and granting the others, and a copy
 * of the relay's database — what an attacker holding the relay's disk reads.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import * as Y from 'yjs'
import type { SpaceKeys } from '../../shared/src/crypto/space-keys'
import { blindDocId } from '../../shared/src/envelope/entry-cipher'
import type { EnvelopeEntry } from '../../shared/src/envelope/envelope'
import { createPractice, type DeviceEnvironment, type OpenPractice } from '../../client/src/sync/device/device'
import type { DeviceGrantOptions } from '../../client/src/sync/device/practice-devices'
import { DeviceRole } from '../../shared/src/devices/registry-chain'
import { DIRECTORY_DOC_ID } from '../../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../../shared/src/model/patients'
import { nodeDeviceEnvironment } from './node-device'
import { joinWith, pairingTicket } from './pairing-ticket'
import { actorOf, type RelayFixture } from './relay-fixture'
import { testClock } from './test-clock'

/** A praticien's device that is no administrator (joinWith's default grant is an administrator's). */
export const MEMBER = { role: DeviceRole.Practitioner, admin: false, until: null }

export interface Device {
  env: DeviceEnvironment
  p: OpenPractice
}

/** One device per name: the first creates `practice`, the others join with their `grants` (administrator by default). */
export async function practiceOf(
  fixture: RelayFixture,
  names: readonly string[],
  grants: ReadonlyArray<DeviceGrantOptions | undefined>,
  practice: { name: string; practitioner: string; profession: 'kine' | 'infirmier' },
): Promise<Device[]> {
  const envA = nodeDeviceEnvironment(names[0]!)
  const a = await fixture.track(
    createPractice({ relayUrl: fixture.relay.url, practiceName: practice.name, practitioner: { displayName: practice.practitioner, profession: practice.profession } }, envA),
  )
  const ticket = await pairingTicket(a.record.spaceId, envA)
  const devices: Device[] = [{ env: envA, p: a }]
  for (let i = 1; i < names.length; i++) {
    const env = nodeDeviceEnvironment(names[i]!)
    devices.push({ env, p: await fixture.track(joinWith(ticket, env, grants[i])) })
  }
  return devices
}

/** The directory's patients on a device, by birth name. */
export async function patientNames(d: Device): Promise<string[]> {
  return listPatients(await d.p.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.birthName).sort()
}

/** A patient added on a device, acknowledged by the relay. */
export async function writePatient(d: Device, birthName: string): Promise<void> {
  addPatient(await d.p.space.openDoc(DIRECTORY_DOC_ID), { birthName, firstNames: 'Anne' }, actorOf(d.p), testClock)
  await d.p.space.whenAcknowledged()
}

/** The relay's SQLite file copied while it runs (its backup API): what an attacker with the relay's disk holds. */
export async function copyOfRelayDatabase(fixture: RelayFixture): Promise<Database.Database> {
  const live = new Database(join(fixture.relay.dataDir, 'relay.db'), { readonly: true, fileMustExist: true })
  const copy = join(mkdtempSync(join(tmpdir(), 'tournee-relay-copy-')), 'relay.db')
  await live.backup(copy)
  live.close()
  return new Database(copy, { readonly: true })
}

/** A room's entries of one doc in a copy of the relay's database. */
export async function entriesOf(db: Database.Database, keys: SpaceKeys, roomId: string, docId: string): Promise<EnvelopeEntry[]> {
  const rows = db.prepare<[string, string], { data: Buffer }>('SELECT data FROM updates WHERE space_id = ? AND room_id = ? ORDER BY seq').all(keys.spaceId, roomId)
  const doc = new Y.Doc()
  for (const row of rows) Y.applyUpdate(doc, new Uint8Array(row.data))
  const blind = await blindDocId(keys, docId)
  return doc.getArray<EnvelopeEntry>('entries').toArray().filter((e) => e.d === blind)
}
