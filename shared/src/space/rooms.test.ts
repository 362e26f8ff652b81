import { describe, expect, it } from 'vitest'
import { randomBytes, randomId } from '../crypto/base64url'
import { deriveSpaceKeys } from '../crypto/space-keys'
import { decryptUpdate, DecryptError, encryptUpdate } from '../envelope/entry-cipher'
import { DocIdError } from '../model/doc-ids'
import { newRecordId } from '../model/ids'
import { TEST_TODAY } from '../../../tests/helpers/test-clock'
import { monthOfDay, weekOf } from '../../../tests/helpers/calendar-oracle'
import { blindRoomName } from './room-keys'
import { fileRooms, FILE_SHARDS, isRoomName, MAIN_ROOM, monthOfRoom, monthRoom, RoomNameError, roomOf, startupRooms, type RoomName } from './rooms'

describe('roomOf', () => {
  it('puts the directory and the manifest in main and each agenda month in its own room', async () => {
    expect(await roomOf('directory')).toBe('main')
    expect(await roomOf('manifest')).toBe('main')
    expect(await roomOf('agenda/2019-01')).toBe('agenda/2019-01')
    expect(await roomOf('agenda/2019-12')).toBe('agenda/2019-12')
    expect(await roomOf('agenda/2026-11')).toBe('agenda/2026-11')
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
    for (const room of [MAIN_ROOM, monthRoom('2019-01'), monthRoom('2019-12'), ...fileRooms()]) expect(isRoomName(room)).toBe(true)
    for (const bad of ['agenda/19', 'agenda/2019', 'files/g', 'files/10', 'Main', '', 'agenda/2019-13', 'agenda/2019-00', 'agenda/2019-1', 42]) {
      expect(isRoomName(bad)).toBe(false)
    }
    expect(() => monthRoom('2019-13')).toThrow(RoomNameError)
    expect(monthOfRoom('agenda/2019-03')).toBe('2019-03')
    expect(monthOfRoom(MAIN_ROOM)).toBeNull()
    expect(monthOfRoom('files/a')).toBeNull()
  })
})

describe('start-up rooms', () => {
  it(`at the test's today (${TEST_TODAY}): main and the month of every day of its week`, () => {
    const months = new Set(weekOf(TEST_TODAY).map(monthOfDay))
    expect(new Set(startupRooms(TEST_TODAY))).toEqual(new Set(['main', ...[...months].map((month) => `agenda/${month}`)]))
    expect(startupRooms(TEST_TODAY)[1]).toBe(`agenda/${monthOfDay(TEST_TODAY)}`)
  })

  it('main and this month; both months when this week straddles two', () => {
    // Sunday 22 November 2026: the week of Monday 16 stays in November.
    expect(startupRooms('2026-11-22')).toEqual(['main', 'agenda/2026-11'])
    // Monday 30 November: the week runs to Sunday 6 December.
    expect(startupRooms('2026-11-30')).toEqual(['main', 'agenda/2026-11', 'agenda/2026-12'])
    // Thursday 3 December: the same week, seen from its December end.
    expect(startupRooms('2026-12-03')).toEqual(['main', 'agenda/2026-12', 'agenda/2026-11'])
    // Across a year: Thursday 1 January 2026, week of Monday 29 December 2025.
    expect(startupRooms('2026-01-01')).toEqual(['main', 'agenda/2026-01', 'agenda/2025-12'])
    // Thursday 31 December 2026: the week of Monday 28 December runs into January 2027.
    expect(startupRooms('2026-12-31')).toEqual(['main', 'agenda/2026-12', 'agenda/2027-01'])
    // Monday 1 June 2026 to Sunday 7 June: one month.
    expect(startupRooms('2026-06-01')).toEqual(['main', 'agenda/2026-06'])
    // Sunday 31 May 2026: its week began Monday 25 May.
    expect(startupRooms('2026-05-31')).toEqual(['main', 'agenda/2026-05'])
    // Tuesday 29 February 2028: the week of Monday 28 February runs into March.
    expect(startupRooms('2028-02-29')).toEqual(['main', 'agenda/2028-02', 'agenda/2028-03'])
  })
})

describe('room ids and keys', () => {
  const secret = randomBytes(32)
  const spaceId = randomId()

  it('blinds a room name stably per space, distinctly per room and per space', async () => {
    const keys = await deriveSpaceKeys(spaceId, secret)
    const otherSpace = await deriveSpaceKeys(randomId(), secret)
    const names: RoomName[] = [MAIN_ROOM, monthRoom('2019-03'), monthRoom('2026-03'), ...fileRooms()]
    const ids = await Promise.all(names.map((name) => blindRoomName(keys, name)))
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(new Set(ids).size).toBe(names.length)
    expect(await blindRoomName(keys, monthRoom('2019-03'))).toBe(ids[1])
    expect(await blindRoomName(otherSpace, monthRoom('2019-03'))).not.toBe(ids[1])
    // The name itself never shows.
    for (const id of ids) expect(id).not.toMatch(/agenda|files|main|2019/)
  })

  it('binds a month entry to its month room: replayed into the next month, it fails', async () => {
    const keys = await deriveSpaceKeys(spaceId, secret)
    const update = new TextEncoder().encode('rendez-vous de mars 2019')
    const sealed = await encryptUpdate(keys, monthRoom('2019-03'), 'agenda/2019-03', update)
    expect(await decryptUpdate(keys, monthRoom('2019-03'), 'agenda/2019-03', sealed)).toEqual(update)
    await expect(decryptUpdate(keys, monthRoom('2019-04'), 'agenda/2019-03', sealed)).rejects.toBeInstanceOf(DecryptError)
    await expect(decryptUpdate(keys, MAIN_ROOM, 'agenda/2019-03', sealed)).rejects.toBeInstanceOf(DecryptError)
  })
})
