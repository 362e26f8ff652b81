/**
 * What relay nodes tell each other over Redis pub/sub (fanout/redis-bus.ts). Two kinds of message,
 * on two kinds of channel:
 *
 * Room notice, binary, on the room's channel (`tournee:room:<spaceId>/<roomId>`), published by the
 * node that committed a row, after the commit:
 *
 *   u8       BUS_VERSION (1)
 *   u8       kind: 1 = row (the row's bytes follow), 2 = head (the row was too big to carry:
 *            readers fetch it from storage)
 *   varuint  seq of the committed row
 *   varuint  publishedAt, ms since the epoch by the publisher's clock (fan-out lag metric only)
 *   varstr   node id of the publisher (a node skips its own notices)
 *   varbytes the row (kind 1 only)
 *
 * Space event, JSON, on the one events channel (`tournee:space-events`): a change that the relay
 * pushes to sockets, which every node must push to its own:
 *
 *   {"v":1,"type":"device-revoked","node":"…","spaceId":"…","deviceId":"…"}
 *   {"v":1,"type":"registry-changed","node":"…","spaceId":"…"}
 *   {"v":1,"type":"device-changed","node":"…","spaceId":"…","deviceId":"…","role":"secretariat","until":null}
 *
 * A « change » entry of the registry is published twice: as registry-changed (the signers to
 * read again) and as device-changed, which carries the device's new role and end of access (ms,
 * or null) so that every node applies them to the device's open sockets at once, as the node that
 * recorded it does (its clinical sockets closed with 4403 when made secretary).
 *
 * Redis is not a trust boundary like a device's socket, but it is another process and another
 * version of the relay may publish on it: every message is decoded and checked here, and a message
 * that does not fit throws BusMessageError (the bus logs it and drops it; nothing else happens).
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { z } from 'zod'
import { DeviceRole } from '../../../shared/src/devices/registry-chain'

export const BUS_VERSION = 1

export const RoomNoticeKind = { row: 1, head: 2 } as const

export type RoomNotice =
  | { readonly kind: 'row'; readonly seq: number; readonly publishedAt: number; readonly node: string; readonly row: Uint8Array }
  | { readonly kind: 'head'; readonly seq: number; readonly publishedAt: number; readonly node: string }

const SpaceEventSchema = z.discriminatedUnion('type', [
  z.object({ v: z.literal(BUS_VERSION), type: z.literal('device-revoked'), node: z.string().min(1).max(64), spaceId: z.string().min(1).max(64), deviceId: z.string().min(1).max(128) }),
  z.object({ v: z.literal(BUS_VERSION), type: z.literal('registry-changed'), node: z.string().min(1).max(64), spaceId: z.string().min(1).max(64) }),
  z.object({
    v: z.literal(BUS_VERSION),
    type: z.literal('device-changed'),
    node: z.string().min(1).max(64),
    spaceId: z.string().min(1).max(64),
    deviceId: z.string().min(1).max(128),
    role: z.enum([DeviceRole.Practitioner, DeviceRole.Secretariat, DeviceRole.Locum]),
    until: z.number().int().nonnegative().nullable(),
  }),
])

export type SpaceEvent = z.infer<typeof SpaceEventSchema>

export class BusMessageError extends Error {
  override name = 'BusMessageError'
  constructor(what: string) {
    super(`Fan-out message refused: ${what} (another relay version on the same Redis? every node must run the same bus version ${BUS_VERSION})`)
  }
}

export function encodeRoomNotice(notice: RoomNotice): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeUint8(encoder, BUS_VERSION)
  encoding.writeUint8(encoder, RoomNoticeKind[notice.kind])
  encoding.writeVarUint(encoder, notice.seq)
  encoding.writeVarUint(encoder, notice.publishedAt)
  encoding.writeVarString(encoder, notice.node)
  if (notice.kind === 'row') encoding.writeVarUint8Array(encoder, notice.row)
  return encoding.toUint8Array(encoder)
}

export function decodeRoomNotice(bytes: Uint8Array): RoomNotice {
  const decoder = decoding.createDecoder(bytes)
  try {
    const version = decoding.readUint8(decoder)
    if (version !== BUS_VERSION) throw new BusMessageError(`room notice of version ${version}`)
    const kind = decoding.readUint8(decoder)
    const seq = decoding.readVarUint(decoder)
    const publishedAt = decoding.readVarUint(decoder)
    const node = decoding.readVarString(decoder)
    if (seq < 1 || !Number.isSafeInteger(seq)) throw new BusMessageError(`room notice with seq ${seq}`)
    let notice: RoomNotice
    if (kind === RoomNoticeKind.row) notice = { kind: 'row', seq, publishedAt, node, row: decoding.readVarUint8Array(decoder) }
    else if (kind === RoomNoticeKind.head) notice = { kind: 'head', seq, publishedAt, node }
    else throw new BusMessageError(`room notice of kind ${kind}`)
    if (decoding.hasContent(decoder)) throw new BusMessageError('trailing bytes after a room notice')
    return notice
  } catch (error) {
    if (error instanceof BusMessageError) throw error
    // lib0 throws plain errors on a truncated buffer.
    throw new BusMessageError('truncated room notice')
  }
}

/**
 * Whether a room notice was published by the node whose id is `nodeBytes` (its UTF-8), read from
 * its header alone: a node hears every notice it published back from Redis, and drops them, so
 * it need not decode the node id or build a notice for them. False for anything that does not
 * read as a notice of this version: decodeRoomNotice then says what is wrong with it.
 */
export function isRoomNoticeFrom(bytes: Uint8Array, nodeBytes: Uint8Array): boolean {
  if (bytes[0] !== BUS_VERSION) return false
  let at = 2
  // seq, then publishedAt: varuints, skipped to their last byte.
  for (let varuints = 0; varuints < 2; varuints++) {
    while (at < bytes.length && (bytes[at]! & 0x80) !== 0) at++
    at++
  }
  // The node id: a varuint length (below 128 for any id of ours: one byte) and its bytes.
  if (bytes[at] !== nodeBytes.length) return false
  at++
  if (at + nodeBytes.length > bytes.length) return false
  for (let i = 0; i < nodeBytes.length; i++) if (bytes[at + i] !== nodeBytes[i]) return false
  return true
}

export function encodeSpaceEvent(event: SpaceEvent): string {
  return JSON.stringify(event)
}

export function decodeSpaceEvent(text: string): SpaceEvent {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new BusMessageError('space event is not JSON')
  }
  const parsed = SpaceEventSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new BusMessageError(`space event field ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`)
  }
  return parsed.data
}
