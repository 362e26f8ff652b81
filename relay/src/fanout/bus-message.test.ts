import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import { BusMessageError, decodeRoomNotice, decodeSpaceEvent, encodeRoomNotice, encodeSpaceEvent, isRoomNoticeFrom, type RoomNotice } from './bus-message'

function raw(...parts: ((encoder: encoding.Encoder) => void)[]): Uint8Array {
  const encoder = encoding.createEncoder()
  for (const part of parts) part(encoder)
  return encoding.toUint8Array(encoder)
}

describe('room notices', () => {
  it.each<RoomNotice>([
    { kind: 'row', seq: 7, publishedAt: 1_767_225_600_000, node: 'nodeA', row: new Uint8Array([1, 2, 3]) },
    { kind: 'head', seq: 2 ** 40, publishedAt: 0, node: 'nodeB' },
  ])('round-trips a $kind notice', (notice) => {
    expect(decodeRoomNotice(encodeRoomNotice(notice))).toEqual(notice)
  })

  it.each([
    ['another version', raw((e) => encoding.writeUint8(e, 2))],
    ['an unknown kind', raw((e) => (encoding.writeUint8(e, 1), encoding.writeUint8(e, 9), encoding.writeVarUint(e, 1), encoding.writeVarUint(e, 0), encoding.writeVarString(e, 'n')))],
    ['seq 0', raw((e) => (encoding.writeUint8(e, 1), encoding.writeUint8(e, 2), encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 0), encoding.writeVarString(e, 'n')))],
    ['a truncated row', encodeRoomNotice({ kind: 'row', seq: 1, publishedAt: 0, node: 'n', row: new Uint8Array(10) }).slice(0, -3)],
    ['trailing bytes', new Uint8Array([...encodeRoomNotice({ kind: 'head', seq: 1, publishedAt: 0, node: 'n' }), 0])],
    ['nothing', new Uint8Array()],
  ])('refuses %s with BusMessageError', (_what, bytes) => {
    expect(() => decodeRoomNotice(bytes)).toThrow(BusMessageError)
  })
})

describe('a node\'s own notices', () => {
  const utf8 = (text: string) => new TextEncoder().encode(text)
  const node = 'bm9kZUEtMTIz' // 12 characters, as RedisBus's ids
  it.each<RoomNotice>([
    { kind: 'row', seq: 7, publishedAt: 1_767_225_600_000, node, row: new Uint8Array(300) },
    { kind: 'head', seq: 2 ** 40, publishedAt: 0, node },
    { kind: 'row', seq: 1, publishedAt: 127, node, row: new Uint8Array() },
  ])('are told from the header of a $kind notice (seq $seq)', (notice) => {
    const bytes = encodeRoomNotice(notice)
    expect(isRoomNoticeFrom(bytes, utf8(node))).toBe(true)
    expect(isRoomNoticeFrom(bytes, utf8('bm9kZUEtMTI0'))).toBe(false)
    expect(isRoomNoticeFrom(bytes, utf8('bm9kZUEtMTI'))).toBe(false)
    expect(isRoomNoticeFrom(bytes, utf8(`${node}4`))).toBe(false)
  })

  it('are not claimed from what is not a notice of this version, nor cut short', () => {
    const bytes = encodeRoomNotice({ kind: 'head', seq: 5, publishedAt: 9, node })
    expect(isRoomNoticeFrom(new Uint8Array([2, ...bytes.slice(1)]), utf8(node))).toBe(false)
    expect(isRoomNoticeFrom(bytes.slice(0, -1), utf8(node))).toBe(false)
    expect(isRoomNoticeFrom(new Uint8Array(), utf8(node))).toBe(false)
  })
})

describe('space events', () => {
  it('round-trips a revocation, a registry change and a device\'s change of role', () => {
    const revoked = { v: 1, type: 'device-revoked', node: 'nodeA', spaceId: 'space', deviceId: 'device' } as const
    const changed = { v: 1, type: 'registry-changed', node: 'nodeA', spaceId: 'space' } as const
    const secretary = { v: 1, type: 'device-changed', node: 'nodeA', spaceId: 'space', deviceId: 'device', role: 'secretariat', until: null } as const
    const locum = { v: 1, type: 'device-changed', node: 'nodeA', spaceId: 'space', deviceId: 'device', role: 'remplacant', until: 1_796_601_600_000 } as const
    for (const event of [revoked, changed, secretary, locum]) expect(decodeSpaceEvent(encodeSpaceEvent(event))).toEqual(event)
  })

  it.each([
    ['not JSON', '{', /not JSON/],
    ['another version', '{"v":2,"type":"registry-changed","node":"n","spaceId":"s"}', /field v/],
    ['an unknown type', '{"v":1,"type":"room-wiped","node":"n","spaceId":"s"}', /field type/],
    ['a revocation naming no device', '{"v":1,"type":"device-revoked","node":"n","spaceId":"s"}', /field deviceId/],
    ['a change to an unknown role', '{"v":1,"type":"device-changed","node":"n","spaceId":"s","deviceId":"d","role":"admin","until":null}', /field role/],
    ['a change without its end of access', '{"v":1,"type":"device-changed","node":"n","spaceId":"s","deviceId":"d","role":"remplacant"}', /field until/],
    ['a change ending at a negative time', '{"v":1,"type":"device-changed","node":"n","spaceId":"s","deviceId":"d","role":"remplacant","until":-1}', /field until/],
  ])('refuses %s, naming the field', (_what, text, message) => {
    expect(() => decodeSpaceEvent(text)).toThrow(BusMessageError)
    expect(() => decodeSpaceEvent(text)).toThrow(message)
  })
})
