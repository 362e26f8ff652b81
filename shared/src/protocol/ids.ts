/**
 * Identifier formats that cross the wire or the storage boundary.
 * Space ids and credentials are random, URL-safe, and never derived from patient data.
 */

/** 22 chars of base64url = 128 bits. */
export const SPACE_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/
/** A credential is 32 random bytes, base64url (43 chars). */
export const CREDENTIAL_PATTERN = /^[A-Za-z0-9_-]{43}$/

export function isSpaceId(value: unknown): value is string {
  return typeof value === 'string' && SPACE_ID_PATTERN.test(value)
}

export function isCredential(value: unknown): value is string {
  return typeof value === 'string' && CREDENTIAL_PATTERN.test(value)
}

/** A room id on the wire: a blinded room name (shared/src/space/room-keys.ts), 22 base64url chars. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/

export function isRoomId(value: unknown): value is string {
  return typeof value === 'string' && ROOM_ID_PATTERN.test(value)
}

/**
 * The first character of a clinical room's id (a files/<shard> room, shared/src/space/room-keys.ts):
 * what lets the relay, which reads no room name, refuse a secretary's credential there. Practice
 * rooms' ids start with `p`; any other id is a practice-tier room to the relay (tests use random ids).
 */
export const CLINICAL_ROOM_ID_PREFIX = 'c'
export const PRACTICE_ROOM_ID_PREFIX = 'p'

/** Whether a room id on the wire names a clinical room: one a secretary's device is refused. */
export function isClinicalRoomId(roomId: string): boolean {
  return roomId.startsWith(CLINICAL_ROOM_ID_PREFIX)
}
