import { randomId } from '../crypto/base64url'

/**
 * Record ids are 128 random bits (22 chars of base64url). They are never derived from names or
 * other patient data: an id ends up in doc names and relay logs, and two devices creating records
 * offline must never collide.
 */
export function newRecordId(): string {
  return randomId(16)
}

export const RECORD_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

export function isRecordId(value: unknown): value is string {
  return typeof value === 'string' && RECORD_ID_PATTERN.test(value)
}
