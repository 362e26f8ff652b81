/**
 * The lock's PIN: what a valid one is, and how it is kept. Never the PIN itself: a salted, slow
 * hash (PBKDF2-HMAC-SHA-256, WebCrypto), in this device's own lock database (lock-store.ts), never
 * synced.
 *
 * Why 600,000 iterations: OWASP's figure for PBKDF2-HMAC-SHA-256 (2023). A check costs a tablet
 * about a third of a second (once per unlock: unnoticed), and each guess costs someone holding a
 * copy of the stored hash as much. That does not make a PIN strong: 10^4 to 10^8 possible codes
 * are searched in hours at most by whoever copied the browser profile. What protects a PIN is
 * the attempt limit (attempts.ts), which only holds for someone using the app's screens — the
 * honest limit Réglages states (views/lock/LockSection.tsx, docs/threat-model.md).
 *
 * The iterations are stored with each hash, so a later version may raise them (a PIN set before
 * is still checked with its own count, and can be re-hashed on the next unlock).
 */

/** Digits a PIN has: 4 at least (anything shorter is guessed in 5 tries too often), 8 at most (typed on a number pad, many times a day). */
export const PIN_DIGITS = { min: 4, max: 8 } as const

export const PIN_ITERATIONS = 600_000

const SALT_BYTES = 16
const HASH_BITS = 256

/** Why a PIN is refused: the form says which, on its field. */
export type PinProblem = 'required' | 'not_digits' | 'too_short' | 'too_long'

/** Null for a valid PIN: 4 to 8 digits 0–9, nothing else. */
export function checkPin(pin: string): PinProblem | null {
  if (pin === '') return 'required'
  if (!/^[0-9]*$/.test(pin)) return 'not_digits'
  if (pin.length < PIN_DIGITS.min) return 'too_short'
  if (pin.length > PIN_DIGITS.max) return 'too_long'
  return null
}

export class PinFormatError extends Error {
  override name = 'PinFormatError'
  constructor(readonly problem: PinProblem) {
    super(`The PIN is refused: ${problem}`)
  }
}

/** What is stored of a PIN. */
export interface PinHash {
  readonly salt: Uint8Array
  readonly hash: Uint8Array
  readonly iterations: number
}

async function derive(pin: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations }, material, HASH_BITS)
  return new Uint8Array(bits)
}

/** Hashes a valid PIN with a fresh salt (throws PinFormatError for an invalid one). */
export async function hashPin(pin: string, options: { readonly iterations?: number } = {}): Promise<PinHash> {
  const problem = checkPin(pin)
  if (problem !== null) throw new PinFormatError(problem)
  const iterations = options.iterations ?? PIN_ITERATIONS
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES))
  return { salt, hash: await derive(pin, salt, iterations), iterations }
}

/** Whether `pin` is the one hashed; compared in constant time. */
export async function pinMatches(pin: string, stored: PinHash): Promise<boolean> {
  // Still hashed when malformed: the time taken says nothing about the input.
  const candidate = await derive(pin, stored.salt, stored.iterations)
  if (candidate.length !== stored.hash.length) return false
  let difference = checkPin(pin) === null ? 0 : 1
  for (let i = 0; i < candidate.length; i++) difference |= candidate[i]! ^ stored.hash[i]!
  return difference === 0
}
