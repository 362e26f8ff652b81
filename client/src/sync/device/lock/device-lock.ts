/**
 * The lock of this device: which method unlocks it (a passkey, or a PIN where no passkey is
 * possible), unlocking, and forgetting the practice after too many wrong PINs. What the screens
 * call (through app/device-api.tsx); the lock's parts:
 *
 *   lock-store.ts   the device's lock record (IndexedDB `<prefix>tournee-lock`, never synced)
 *   pin.ts          what a PIN is, its salted slow hash
 *   attempts.ts     how many wrong PINs, how long the waits
 *   passkey.ts      WebAuthn: make the passkey, ask for it, check its answer
 *   forget.ts       delete every database of the practice, keys first
 *
 * The idle time before the lock is the practice's setting (shared/src/model/practice.ts); the
 * lock itself — closing the practice, the lock screen — is the app's (app/device-session.ts).
 */
import { DeviceRegistry, type PracticeRecord } from '../registry'
import { loadPractice, type DeviceEnvironment, type OpenPractice, browserEnvironment } from '../device'
import { attemptsLeft, exhausted, nextAttemptAt, NO_ATTEMPTS } from './attempts'
import { forgetPractice as forgetDatabases, type ForgetResult } from './forget'
import { LockStore, type LockRecord } from './lock-store'
import { createPasskey, passkeyAvailable, PasskeyError, verifyPasskey, type PasskeyPlatform } from './passkey'
import { checkPin, hashPin, pinMatches, type PinProblem } from './pin'

export type { ForgetResult }

/** What the lock needs of the device's environment (DeviceEnvironment has it); tests set the rest. */
export interface LockEnvironment {
  readonly idbPrefix: string
  readonly now?: () => number
  /** PBKDF2 iterations of a new PIN's hash (default pin.ts's PIN_ITERATIONS; tests take fewer). */
  readonly pinIterations?: number
  /** WebAuthn as the browser gives it, unless a test passes its own. */
  readonly passkeys?: PasskeyPlatform
}

/** What the screens know of the lock: never the hash, never the credential. */
export interface LockSummary {
  readonly method: 'pin' | 'passkey'
  /** A passkey whose platform gave the PRF extension (not used yet: docs/threat-model.md). */
  readonly prf: boolean
  readonly setAt: number
  /** Wrong PINs since the last unlock, and when the next attempt may be made (null: now). */
  readonly failures: number
  readonly retryAt: number | null
}

function clockOf(env: LockEnvironment): () => number {
  return env.now ?? Date.now
}

function summaryOf(record: LockRecord, now: number): LockSummary {
  return {
    method: record.method.kind,
    prf: record.method.kind === 'passkey' && record.method.prf,
    setAt: record.setAt,
    failures: record.failures,
    retryAt: nextAttemptAt(record, now),
  }
}

/** This device's lock for the practice, or null when none was chosen. */
export async function readLock(spaceId: string, env: LockEnvironment = browserEnvironment): Promise<LockSummary | null> {
  const record = await new LockStore(env.idbPrefix).get(spaceId)
  return record === null ? null : summaryOf(record, clockOf(env)())
}

/** Whether this device can be locked with a passkey (WebAuthn and a platform authenticator). */
export function canUsePasskey(env: LockEnvironment = browserEnvironment): Promise<boolean> {
  return passkeyAvailable(env.passkeys)
}

/** Chooses a PIN (4–8 digits) as this device's lock, replacing any other method. */
export async function choosePin(spaceId: string, pin: string, env: LockEnvironment = browserEnvironment): Promise<LockSummary> {
  const hashed = await hashPin(pin, env.pinIterations === undefined ? {} : { iterations: env.pinIterations })
  const record: LockRecord = { spaceId, method: { kind: 'pin', ...hashed }, ...NO_ATTEMPTS, setAt: clockOf(env)() }
  await new LockStore(env.idbPrefix).put(record)
  return summaryOf(record, record.setAt)
}

/** Makes a passkey on this device (the person verifies) and chooses it as the lock. */
export async function choosePasskey(spaceId: string, practiceName: string, env: LockEnvironment = browserEnvironment): Promise<LockSummary> {
  const method = await createPasskey({ practiceName }, env.passkeys)
  const record: LockRecord = { spaceId, method, ...NO_ATTEMPTS, setAt: clockOf(env)() }
  await new LockStore(env.idbPrefix).put(record)
  return summaryOf(record, record.setAt)
}

/** No lock any more on this device (the app then never locks). */
export async function removeLock(spaceId: string, env: LockEnvironment = browserEnvironment): Promise<void> {
  await new LockStore(env.idbPrefix).delete(spaceId)
}

export type PinAttempt =
  | { readonly kind: 'unlocked' }
  /** Not a PIN at all (too short, a letter): not counted. */
  | { readonly kind: 'malformed'; readonly problem: PinProblem }
  /** Counted: `left` attempts before the device forgets the practice; the next one not before `retryAt`. */
  | { readonly kind: 'wrong'; readonly failures: number; readonly left: number; readonly retryAt: number | null }
  /** Too early after the last failures: not counted, not checked. */
  | { readonly kind: 'wait'; readonly retryAt: number }
  /** The last attempt failed: the practice is to be forgotten (forgetPractice). */
  | { readonly kind: 'exhausted' }

export class NoPinLockError extends Error {
  override name = 'NoPinLockError'
}

/**
 * Checks a PIN, counting the attempt *before* checking it (a tab closed during the check does not
 * give a free try), waiting as attempts.ts says between failures.
 */
export async function unlockWithPin(spaceId: string, pin: string, env: LockEnvironment = browserEnvironment): Promise<PinAttempt> {
  const store = new LockStore(env.idbPrefix)
  const now = clockOf(env)()
  const record = await store.get(spaceId)
  // No lock (removed from another tab): nothing to check.
  if (record === null) return { kind: 'unlocked' }
  if (record.method.kind !== 'pin') throw new NoPinLockError('This device unlocks with a passkey')
  if (exhausted(record.failures)) return { kind: 'exhausted' }
  const retryAt = nextAttemptAt(record, now)
  if (retryAt !== null) return { kind: 'wait', retryAt }
  const problem = checkPin(pin)
  if (problem !== null) return { kind: 'malformed', problem }
  const counted = await store.update(spaceId, (stored) => ({ ...stored, failures: stored.failures + 1, lastAttemptAt: now }))
  if (counted === null || counted.method.kind !== 'pin') return { kind: 'unlocked' }
  if (await pinMatches(pin, counted.method)) {
    await store.update(spaceId, (stored) => ({ ...stored, ...NO_ATTEMPTS }))
    return { kind: 'unlocked' }
  }
  if (exhausted(counted.failures)) return { kind: 'exhausted' }
  return { kind: 'wrong', failures: counted.failures, left: attemptsLeft(counted.failures), retryAt: nextAttemptAt(counted, now) }
}

/**
 * Asks for the passkey and checks its answer (throws PasskeyError when it does not unlock).
 * Records whether the platform gave the PRF secret this time.
 */
export async function unlockWithPasskey(spaceId: string, env: LockEnvironment = browserEnvironment): Promise<LockSummary | null> {
  const store = new LockStore(env.idbPrefix)
  const record = await store.get(spaceId)
  if (record === null) return null
  if (record.method.kind !== 'passkey') throw new PasskeyError('invalid', 'This device unlocks with a PIN')
  const { prf } = await verifyPasskey(record.method, env.passkeys)
  const now = clockOf(env)()
  if (prf && !record.method.prf) {
    const updated = await store.update(spaceId, (stored) => (stored.method.kind === 'passkey' ? { ...stored, method: { ...stored.method, prf: true } } : stored))
    if (updated) return summaryOf(updated, now)
  }
  return summaryOf(record, now)
}

/**
 * This device forgets the practice: its keys and every local database of it are deleted
 * (forget.ts). Close the practice first.
 */
export function forgetPractice(spaceId: string, env: LockEnvironment = browserEnvironment, options: { readonly waitMs?: number } = {}): Promise<ForgetResult> {
  return forgetDatabases(spaceId, env, options)
}

/** How the app starts: no practice yet, the practice locked (nothing opened), or the practice open. */
export type DeviceStart =
  | { readonly kind: 'first-run' }
  | { readonly kind: 'locked'; readonly record: PracticeRecord; readonly lock: LockSummary }
  | { readonly kind: 'open'; readonly practice: OpenPractice }

/**
 * The app's start: a device with a lock opens nothing of the practice (not even the first
 * screen's record) until it is unlocked; one without opens it at once (device.ts loadPractice).
 */
export async function startDevice(env: DeviceEnvironment & LockEnvironment = browserEnvironment): Promise<DeviceStart> {
  const [stored] = await new DeviceRegistry(env.idbPrefix).all()
  if (!stored) return { kind: 'first-run' }
  const lock = await readLock(stored.spaceId, env)
  if (lock !== null) {
    const { spaceId, relayUrl, practiceName, deviceId, memberId, role, until } = stored
    return { kind: 'locked', record: { spaceId, relayUrl, practiceName, deviceId, memberId, role, until }, lock }
  }
  const practice = await loadPractice(env)
  return practice === null ? { kind: 'first-run' } : { kind: 'open', practice }
}
