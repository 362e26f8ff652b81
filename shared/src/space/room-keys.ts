/**
 * What the relay sees of a room, and the keys a room's envelope uses.
 *
 *   room id on the wire = tier ‖ base64url(HMAC(blind, "room:" ‖ roomName))[0..21)    22 chars
 *   tier                = 'c' for a clinical room (files/<shard>), 'p' for the others
 *
 * The same HMAC key that blinds doc ids (`"doc:"` prefix), with its own prefix so a room id never
 * equals a doc id: the relay learns how many rooms a practice has and their sizes, never which
 * year or which shard a room is. It does learn which rooms are clinical (the first character):
 * that is what lets it refuse a secretary's credential on them (issue 19), and it is little it
 * could not guess (16 fixed rooms, written to when a patient's file is opened). 126 bits of HMAC
 * stay.
 *
 * Keys: a room uses its tier's AES-GCM key (crypto/space-keys.ts), with the room name bound into
 * each entry's associated data (entry-cipher.ts), rather than one HKDF-derived key per room: what
 * separates people is the tier (a secretary holds no clinical key); within a tier, that an entry
 * cannot be replayed into another room is what matters, which the associated data guarantees.
 */
import type { PracticeKeys, SpaceKeys } from '../crypto/space-keys'
import { KeyTier, asBuffer } from '../crypto/space-keys'
import { toBase64Url } from '../crypto/base64url'
import { CLINICAL_ROOM_ID_PREFIX, PRACTICE_ROOM_ID_PREFIX } from '../protocol/ids'
import type { RoomName } from './rooms'

const ID_CHARS = 22

/** The tier whose keys a room's envelope is encrypted with. */
export function tierOfRoom(room: RoomName): KeyTier {
  return room.startsWith('files/') ? KeyTier.Clinical : KeyTier.Practice
}

/** A device without the keys of a room's tier asked for that room (a secretary's, for a patient file). */
export class MissingTierKeyError extends Error {
  override name = 'MissingTierKeyError'
  constructor(readonly room: RoomName) {
    super(`This device holds no key of the ${tierOfRoom(room)} tier: the room ${room} is not for its role`)
  }
}

/** The keys `room`'s envelope uses; MissingTierKeyError on a device whose role does not read its tier. */
export function keysOfRoom(keys: PracticeKeys, room: RoomName): SpaceKeys {
  if (tierOfRoom(room) === KeyTier.Practice) return { spaceId: keys.spaceId, aead: keys.aead, blind: keys.blind, ...(keys.epochs && { epochs: keys.epochs }) }
  if (keys.clinical === null) throw new MissingTierKeyError(room)
  return { spaceId: keys.spaceId, aead: keys.clinical, blind: keys.blind, ...(keys.clinicalEpochs && { epochs: keys.clinicalEpochs }) }
}

/** Whether this device's keys read `room`. */
export function readsRoom(keys: PracticeKeys, room: RoomName): boolean {
  return tierOfRoom(room) === KeyTier.Practice || keys.clinical !== null
}

export async function blindRoomName(keys: SpaceKeys, room: RoomName): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', keys.blind, asBuffer(new TextEncoder().encode(`room:${room}`)))
  const prefix = tierOfRoom(room) === KeyTier.Clinical ? CLINICAL_ROOM_ID_PREFIX : PRACTICE_ROOM_ID_PREFIX
  return prefix + toBase64Url(new Uint8Array(mac, 0, 16)).slice(0, ID_CHARS - 1)
}
