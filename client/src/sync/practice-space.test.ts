import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { randomBytes, randomId } from '../../../shared/src/crypto/base64url'
import { deriveSpaceKeys } from '../../../shared/src/crypto/space-keys'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { newRecordId } from '../../../shared/src/model/ids'
import { roomOf, SpaceLayout } from '../../../shared/src/space/rooms'
import { PracticeSpace, ROOMS_INDEX_MAP, type PracticeSpaceOptions } from './practice-space'

const opened: PracticeSpace[] = []
afterEach(async () => {
  for (const practice of opened.splice(0)) await practice.destroy()
})

/** A practice that never connects (nothing listens on port 9), on fake-indexeddb. */
async function options(layout: SpaceLayout, at: string): Promise<PracticeSpaceOptions> {
  const spaceId = randomId()
  return {
    spaceId,
    relayUrl: 'http://127.0.0.1:9',
    credential: randomId(32),
    keys: await deriveSpaceKeys(spaceId, randomBytes(32)),
    layout,
    idbName: `unit-${randomId()}:tournee-space-${spaceId}`,
    connect: false,
    now: () => Date.parse(at),
    room: { envelope: { batchDelayMs: 0 }, WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket },
  }
}

async function open(o: PracticeSpaceOptions): Promise<PracticeSpace> {
  const practice = await PracticeSpace.open(o)
  opened.push(practice)
  return practice
}

function write(doc: Y.Doc, key: string): void {
  doc.getMap('test').set(key, 'valeur')
}

describe('PracticeSpace (layout 2)', () => {
  it('opens main and this year at start, next year too in December', async () => {
    expect((await open(await options(SpaceLayout.Rooms, '2026-06-15T10:00:00Z'))).openRoomNames()).toEqual(['main', 'agenda/2026'])
    expect((await open(await options(SpaceLayout.Rooms, '2026-12-02T10:00:00Z'))).openRoomNames()).toEqual([
      'main',
      'agenda/2026',
      'agenda/2027',
    ])
  })

  it('opens a room when one of its docs is asked for, writes there, and lists it in the directory', async () => {
    const o = await options(SpaceLayout.Rooms, '2026-06-15T10:00:00Z')
    const practice = await open(o)
    const patient = `patient/${newRecordId()}`
    write(await practice.openDoc('agenda/2019-03'), 'rdv')
    write(await practice.openDoc(patient), 'note')
    await practice.flush()
    const fileRoom = await roomOf(patient)
    expect(practice.openRoomNames()).toEqual(['main', 'agenda/2026', 'agenda/2019', fileRoom])
    expect((await practice.roomSpace('agenda/2019')).envelope.stats().entries).toBe(1)
    expect((await practice.roomSpace('agenda/2026')).envelope.stats().entries).toBe(0)
    const directory = await practice.openDoc(DIRECTORY_DOC_ID)
    await expect.poll(() => [...directory.getMap(ROOMS_INDEX_MAP).keys()].sort()).toEqual(['agenda/2019', fileRoom].sort())
    // Offline: the practice says so, and counts every room's unsent entries.
    expect(practice.getSyncState().status).toBe('offline')
    await practice.flush()
    expect(practice.getSyncState().pendingChanges).toBeGreaterThanOrEqual(3)

    // Reopened from IndexedDB with no network: the 2019 room comes back on demand, with its data.
    await practice.destroy()
    const again = await open(o)
    expect(again.openRoomNames()).toEqual(['main', 'agenda/2026'])
    expect((await again.openDoc('agenda/2019-03')).getMap('test').get('rdv')).toBe('valeur')
    expect((await again.openDoc(patient)).getMap('test').get('note')).toBe('valeur')
  })
})

describe('PracticeSpace (layout 1)', () => {
  it('keeps every doc in the main room', async () => {
    const practice = await open(await options(SpaceLayout.Single, '2026-06-15T10:00:00Z'))
    write(await practice.openDoc('agenda/2019-03'), 'rdv')
    write(await practice.openDoc(`patient/${newRecordId()}`), 'note')
    await practice.flush()
    expect(practice.openRoomNames()).toEqual(['main'])
    expect(practice.envelope.stats().entries).toBe(2)
    expect([...(await practice.openDoc(DIRECTORY_DOC_ID)).getMap(ROOMS_INDEX_MAP).keys()]).toEqual([])
  })
})
