import { describe, expect, it } from 'vitest'
import { randomBytes, randomId } from '../crypto/base64url'
import { derivePracticeKeys, deriveSpaceKeys, deriveTierSecrets, KeyTier } from '../crypto/space-keys'
import { decryptUpdate, encryptUpdate } from '../envelope/entry-cipher'
import { isClinicalRoomId, isRoomId } from '../protocol/ids'
import { blindRoomName, keysOfRoom, MissingTierKeyError, readsRoom, tierOfRoom } from './room-keys'
import { fileRooms, MAIN_ROOM, monthRoom, type RoomName } from './rooms'

const SPACE = randomId(16)
const ROOMS: RoomName[] = [MAIN_ROOM, monthRoom('2026-11'), ...fileRooms()]

describe('a room’s tier and keys', () => {
  it('files rooms are clinical, the others the practice’s, and their ids on the wire say so to the relay', async () => {
    const keys = await deriveSpaceKeys(SPACE, randomBytes(32))
    for (const room of ROOMS) {
      const clinical = room.startsWith('files/')
      expect(tierOfRoom(room)).toBe(clinical ? KeyTier.Clinical : KeyTier.Practice)
      const id = await blindRoomName(keysOfRoom(keys, room), room)
      expect(isRoomId(id)).toBe(true)
      expect(isClinicalRoomId(id), room).toBe(clinical)
    }
  })

  it('a device without the clinical tier reads main and the agenda, and is refused a files room, by name', async () => {
    const root = randomBytes(32)
    const full = await deriveSpaceKeys(SPACE, root)
    const secretary = await derivePracticeKeys(SPACE, { practice: (await deriveTierSecrets(SPACE, root)).practice, clinical: null })
    expect(readsRoom(secretary, MAIN_ROOM)).toBe(true)
    expect(readsRoom(secretary, 'files/3')).toBe(false)
    expect(() => keysOfRoom(secretary, 'files/3')).toThrow(MissingTierKeyError)
    // What a praticien writes in the agenda, a secretary reads; what it writes in a file, it cannot.
    const agenda = monthRoom('2026-11')
    const written = await encryptUpdate(keysOfRoom(full, agenda), agenda, 'agenda/2026-11', new Uint8Array([1, 2, 3]))
    expect(await decryptUpdate(keysOfRoom(secretary, agenda), agenda, 'agenda/2026-11', written)).toEqual(new Uint8Array([1, 2, 3]))
    const file = await encryptUpdate(keysOfRoom(full, 'files/3'), 'files/3', 'patient/abc', new Uint8Array([4]))
    await expect(decryptUpdate({ ...keysOfRoom(secretary, MAIN_ROOM) }, 'files/3', 'patient/abc', file)).rejects.toThrow()
    // Both compute the same room ids (one blind key).
    expect(await blindRoomName(keysOfRoom(secretary, agenda), agenda)).toBe(await blindRoomName(keysOfRoom(full, agenda), agenda))
  })
})
