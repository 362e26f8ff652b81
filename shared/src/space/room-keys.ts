/**
 * What the relay sees of a room, and the keys a room's envelope uses.
 *
 *   room id on the wire = base64url(HMAC(blind, "room:" ‖ roomName)[0..16))     22 chars
 *
 * The same HMAC key that blinds doc ids (`"doc:"` prefix), with its own prefix so a room id never
 * equals a doc id: the relay learns how many rooms a practice has and their sizes, never which
 * year or which shard a room is.
 *
 * Keys: every room uses the space's AES-GCM key, with the room name bound into each entry's
 * associated data (entry-cipher.ts), rather than one HKDF-derived key per room. Every device of a
 * practice holds every room today (one credential, one key), so per-room keys would separate
 * nothing between people; what matters is that an entry cannot be replayed into another room,
 * which the associated data already guarantees.
 */
import { asBuffer, type SpaceKeys } from '../crypto/space-keys'
import { toBase64Url } from '../crypto/base64url'
import type { RoomName } from './rooms'

const BLIND_BYTES = 16

export async function blindRoomName(keys: SpaceKeys, room: RoomName): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', keys.blind, asBuffer(new TextEncoder().encode(`room:${room}`)))
  return toBase64Url(new Uint8Array(mac, 0, BLIND_BYTES))
}
