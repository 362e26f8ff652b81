import { describe, expect, it } from 'vitest'
import { randomBytes, randomId } from '../crypto/base64url'
import { deriveSpaceKeys } from '../crypto/space-keys'
import { decryptUpdate, DecryptError, encryptUpdate } from '../envelope/entry-cipher'
import { DocIdError } from '../model/doc-ids'
import { newRecordId } from '../model/ids'
import { blindRoomName, roomKeys } from './room-keys'
import {
  agendaRoom,
  fileRooms,
  FILE_SHARDS,
  isRoomName,
  isRoomOfLayout,
  MAIN_ROOM,
  monthOfRoom,
  monthRoom,
  RoomNameError,
  roomOf,
  SpaceLayout,
  startupRooms,
  yearOfRoom,
  type RoomName,
} from './rooms'

describe('roomOf', () => {
  it('layout 3: puts the directory in main and each agenda month in its own room', async () => {
    expect(await roomOf('directory', SpaceLayout.Months)).toBe('main')
    expect(await roomOf('agenda/2019-01', SpaceLayout.Months)).toBe('agenda/2019-01')
    expect(await roomOf('agenda/2019-12', SpaceLayout.Months)).toBe('agenda/2019-12')
    expect(await roomOf('agenda/2026-11', SpaceLayout.Months)).toBe('agenda/2026-11')
  })

  it('layout 2: puts the directory in main and each agenda month in its year', async () => {
    expect(await roomOf('directory', SpaceLayout.Rooms)).toBe('main')
    expect(await roomOf('agenda/2019-01', SpaceLayout.Rooms)).toBe('agenda/2019')
    expect(await roomOf('agenda/2019-12', SpaceLayout.Rooms)).toBe('agenda/2019')
    expect(await roomOf('agenda/2026-11', SpaceLayout.Rooms)).toBe('agenda/2026')
  })

  it('layout 1: everything in main', async () => {
    for (const id of ['directory', 'agenda/2019-01', `patient/${newRecordId()}`]) expect(await roomOf(id, SpaceLayout.Single)).toBe('main')
  })

  it('puts a patient file in the same shard in layouts 2 and 3', async () => {
    const id = `patient/${newRecordId()}`
    expect(await roomOf(id, SpaceLayout.Months)).toBe(await roomOf(id, SpaceLayout.Rooms))
  })

  it('puts a patient file in one of 16 shards, the same on every call, spread evenly', async () => {
    const ids = Array.from({ length: 1600 }, () => newRecordId())
    const rooms = await Promise.all(ids.map((id) => roomOf(`patient/${id}`, SpaceLayout.Months)))
    for (const room of rooms) expect(room).toMatch(/^files\/[0-9a-f]$/)
    expect(await roomOf(`patient/${ids[0]}`, SpaceLayout.Months)).toBe(rooms[0])
    const counts = new Map<string, number>()
    for (const room of rooms) counts.set(room, (counts.get(room) ?? 0) + 1)
    expect(counts.size).toBe(FILE_SHARDS)
    // 100 expected per shard; a hash keeps every shard well within a factor of two.
    for (const count of counts.values()) expect(count).toBeGreaterThan(50)
    for (const count of counts.values()) expect(count).toBeLessThan(150)
  })

  it('refuses a doc id the model does not know', async () => {
    for (const layout of [SpaceLayout.Single, SpaceLayout.Rooms, SpaceLayout.Months]) {
      await expect(roomOf('agenda/2019', layout)).rejects.toBeInstanceOf(DocIdError)
      await expect(roomOf('notes/x', layout)).rejects.toBeInstanceOf(DocIdError)
    }
  })

  it('names rooms it produces, and only those', () => {
    for (const room of [MAIN_ROOM, agendaRoom(2019), monthRoom('2019-01'), monthRoom('2019-12'), ...fileRooms()]) expect(isRoomName(room)).toBe(true)
    for (const bad of ['agenda/19', 'files/g', 'files/10', 'Main', '', 'agenda/2019-13', 'agenda/2019-00', 'agenda/2019-1', 42]) {
      expect(isRoomName(bad)).toBe(false)
    }
    expect(() => monthRoom('2019-13')).toThrow(RoomNameError)
    expect(() => agendaRoom(19)).toThrow(RoomNameError)
    expect(yearOfRoom('agenda/2019')).toBe(2019)
    expect(yearOfRoom('agenda/2019-03')).toBe(2019)
    expect(yearOfRoom(MAIN_ROOM)).toBeNull()
    expect(monthOfRoom('agenda/2019-03')).toBe('2019-03')
    expect(monthOfRoom('agenda/2019')).toBeNull()
  })

  it('tells the rooms of each layout apart', () => {
    expect(isRoomOfLayout(SpaceLayout.Months, 'agenda/2019-03')).toBe(true)
    expect(isRoomOfLayout(SpaceLayout.Months, 'agenda/2019')).toBe(false)
    expect(isRoomOfLayout(SpaceLayout.Rooms, 'agenda/2019')).toBe(true)
    expect(isRoomOfLayout(SpaceLayout.Rooms, 'agenda/2019-03')).toBe(false)
    for (const layout of [SpaceLayout.Rooms, SpaceLayout.Months]) {
      expect(isRoomOfLayout(layout, 'files/a')).toBe(true)
      expect(isRoomOfLayout(layout, MAIN_ROOM)).toBe(true)
    }
    expect(isRoomOfLayout(SpaceLayout.Single, 'files/a')).toBe(false)
    expect(isRoomOfLayout(SpaceLayout.Single, MAIN_ROOM)).toBe(true)
  })
})

describe('start-up rooms', () => {
  it('layout 3: main and this month; both months when this week straddles two', () => {
    // Sunday 22 November 2026: the week of Monday 16 stays in November.
    expect(startupRooms(SpaceLayout.Months, '2026-11-22')).toEqual(['main', 'agenda/2026-11'])
    // Monday 30 November: the week runs to Sunday 6 December.
    expect(startupRooms(SpaceLayout.Months, '2026-11-30')).toEqual(['main', 'agenda/2026-11', 'agenda/2026-12'])
    // Thursday 3 December: the same week, seen from its December end.
    expect(startupRooms(SpaceLayout.Months, '2026-12-03')).toEqual(['main', 'agenda/2026-12', 'agenda/2026-11'])
    // Across a year: Thursday 1 January 2026, week of Monday 29 December 2025.
    expect(startupRooms(SpaceLayout.Months, '2026-01-01')).toEqual(['main', 'agenda/2026-01', 'agenda/2025-12'])
    // Monday 1 June 2026 to Sunday 7 June: one month.
    expect(startupRooms(SpaceLayout.Months, '2026-06-01')).toEqual(['main', 'agenda/2026-06'])
    // Sunday 31 May 2026: its week began Monday 25 May.
    expect(startupRooms(SpaceLayout.Months, '2026-05-31')).toEqual(['main', 'agenda/2026-05'])
  })

  it('layout 2: main and this year, with next year in December and last year in January', () => {
    expect(startupRooms(SpaceLayout.Rooms, '2026-06-15')).toEqual(['main', 'agenda/2026'])
    expect(startupRooms(SpaceLayout.Rooms, '2026-12-02')).toEqual(['main', 'agenda/2026', 'agenda/2027'])
    expect(startupRooms(SpaceLayout.Rooms, '2026-01-20')).toEqual(['main', 'agenda/2026', 'agenda/2025'])
  })

  it('layout 1: main alone', () => {
    expect(startupRooms(SpaceLayout.Single, '2026-01-01')).toEqual(['main'])
  })
})

describe('room ids and keys', () => {
  const secret = randomBytes(32)
  const spaceId = randomId()

  it('blinds a room name stably per space, distinctly per room and per space', async () => {
    const keys = await deriveSpaceKeys(spaceId, secret)
    const otherSpace = await deriveSpaceKeys(randomId(), secret)
    const names: RoomName[] = [MAIN_ROOM, agendaRoom(2019), agendaRoom(2026), monthRoom('2019-03'), monthRoom('2026-03'), ...fileRooms()]
    const ids = await Promise.all(names.map((name) => blindRoomName(keys, name)))
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(new Set(ids).size).toBe(names.length)
    expect(await blindRoomName(keys, agendaRoom(2019))).toBe(ids[1])
    expect(await blindRoomName(otherSpace, agendaRoom(2019))).not.toBe(ids[1])
    // The name itself never shows.
    for (const id of ids) expect(id).not.toMatch(/agenda|files|main|2019/)
  })

  it('binds a month entry to its month room: replayed into the next month or its year room, it fails', async () => {
    const keys = await deriveSpaceKeys(spaceId, secret)
    const update = new TextEncoder().encode('rendez-vous de mars 2019')
    const sealed = await encryptUpdate(roomKeys(keys, monthRoom('2019-03')), 'agenda/2019-03', update)
    expect(await decryptUpdate(roomKeys(keys, monthRoom('2019-03')), 'agenda/2019-03', sealed)).toEqual(update)
    await expect(decryptUpdate(roomKeys(keys, monthRoom('2019-04')), 'agenda/2019-03', sealed)).rejects.toBeInstanceOf(DecryptError)
    await expect(decryptUpdate(roomKeys(keys, agendaRoom(2019)), 'agenda/2019-03', sealed)).rejects.toBeInstanceOf(DecryptError)
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
