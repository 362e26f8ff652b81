import { describe, expect, it } from 'vitest'
import { randomBytes, randomId } from '../crypto/base64url'
import { deriveSpaceKeys } from '../crypto/space-keys'
import { decryptUpdate, DecryptError, encryptUpdate } from '../envelope/entry-cipher'
import { DocIdError } from '../model/doc-ids'
import { newRecordId } from '../model/ids'
import { blindRoomName, roomKeys } from './room-keys'
import { agendaRoom, fileRooms, FILE_SHARDS, isRoomName, MAIN_ROOM, roomOf, startupAgendaRooms, yearOfRoom, type RoomName } from './rooms'

describe('roomOf', () => {
  it('puts the directory in main and each agenda month in its year', async () => {
    expect(await roomOf('directory')).toBe('main')
    expect(await roomOf('agenda/2019-01')).toBe('agenda/2019')
    expect(await roomOf('agenda/2019-12')).toBe('agenda/2019')
    expect(await roomOf('agenda/2026-11')).toBe('agenda/2026')
  })

  it('puts a patient file in one of 16 shards, the same on every call, spread evenly', async () => {
    const ids = Array.from({ length: 1600 }, () => newRecordId())
    const rooms = await Promise.all(ids.map((id) => roomOf(`patient/${id}`)))
    for (const room of rooms) expect(room).toMatch(/^files\/[0-9a-f]$/)
    expect(await roomOf(`patient/${ids[0]}`)).toBe(rooms[0])
    const counts = new Map<string, number>()
    for (const room of rooms) counts.set(room, (counts.get(room) ?? 0) + 1)
    expect(counts.size).toBe(FILE_SHARDS)
    // 100 expected per shard; a hash keeps every shard well within a factor of two.
    for (const count of counts.values()) expect(count).toBeGreaterThan(50)
    for (const count of counts.values()) expect(count).toBeLessThan(150)
  })

  it('refuses a doc id the model does not know', async () => {
    await expect(roomOf('agenda/2019')).rejects.toBeInstanceOf(DocIdError)
    await expect(roomOf('notes/x')).rejects.toBeInstanceOf(DocIdError)
  })

  it('names rooms it produces, and only those', () => {
    for (const room of [MAIN_ROOM, agendaRoom(2019), ...fileRooms()]) expect(isRoomName(room)).toBe(true)
    for (const bad of ['agenda/19', 'files/g', 'files/10', 'Main', '', 'agenda/2019-01']) expect(isRoomName(bad)).toBe(false)
    expect(yearOfRoom('agenda/2019')).toBe(2019)
    expect(yearOfRoom(MAIN_ROOM)).toBeNull()
  })

  it('opens this year at start, with next year in December and last year in January', () => {
    expect(startupAgendaRooms({ year: 2026, month: 6 })).toEqual(['agenda/2026'])
    expect(startupAgendaRooms({ year: 2026, month: 12 })).toEqual(['agenda/2026', 'agenda/2027'])
    expect(startupAgendaRooms({ year: 2026, month: 1 })).toEqual(['agenda/2026', 'agenda/2025'])
  })
})

describe('room ids and keys', () => {
  const secret = randomBytes(32)
  const spaceId = randomId()

  it('blinds a room name stably per space, distinctly per room and per space', async () => {
    const keys = await deriveSpaceKeys(spaceId, secret)
    const otherSpace = await deriveSpaceKeys(randomId(), secret)
    const names: RoomName[] = [MAIN_ROOM, agendaRoom(2019), agendaRoom(2026), ...fileRooms()]
    const ids = await Promise.all(names.map((name) => blindRoomName(keys, name)))
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(new Set(ids).size).toBe(names.length)
    expect(await blindRoomName(keys, agendaRoom(2019))).toBe(ids[1])
    expect(await blindRoomName(otherSpace, agendaRoom(2019))).not.toBe(ids[1])
    // The name itself never shows.
    for (const id of ids) expect(id).not.toMatch(/agenda|files|main|2019/)
  })

  it('binds an entry to its room: replayed into another room, it fails authentication', async () => {
    const keys = await deriveSpaceKeys(spaceId, secret)
    const update = new TextEncoder().encode('rendez-vous de 2019')
    const sealed = await encryptUpdate(roomKeys(keys, agendaRoom(2019)), 'agenda/2019-03', update)
    expect(await decryptUpdate(roomKeys(keys, agendaRoom(2019)), 'agenda/2019-03', sealed)).toEqual(update)
    await expect(decryptUpdate(roomKeys(keys, agendaRoom(2020)), 'agenda/2019-03', sealed)).rejects.toBeInstanceOf(DecryptError)
    // Nor does a layout-2 entry pass as a layout-1 one (no room in its associated data).
    await expect(decryptUpdate(keys, 'agenda/2019-03', sealed)).rejects.toBeInstanceOf(DecryptError)
  })
})
