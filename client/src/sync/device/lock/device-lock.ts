/**
 * The lock of this device: which method unlocks it (a passkey, or a PIN where no passkey is
 * possible), unlocking, and forgetting the practice after too many wrong PINs. What the screens
 * call (through app/device-api.tsx); the lock's parts:
 *
 *   lock-store.ts   the device's lock record (IndexedDB `<prefix>tournee-lock`, never synced)
 *   pin.ts          what a PIN is, its salted slow hash
 *   attempts.ts     how many wrong PINs, how long the waits
 *   passkey.ts      WebAuthn: make the passkey, ask for it, check its answer
 *   at-rest.ts      with the passkey's PRF secret: the device's secrets wrapped at rest, opened at
 *                   each unlock into memory (unlocked-keys.ts), let go at each lock (prf-wrap.ts)
 *   forget.ts       delete every database of the practice, keys first
 *
 * The idle time before the lock is the practice's setting (shared/src/model/practice.ts); the
 * lock itself — closing the practice, the lock screen — is the app's (app/device-session.ts).
 */
import { registryOf, type PracticeRecord } from '../registry'
import { loadPractice, type DeviceEnvironment, type OpenPractice, browserEnvironment } from '../device'
import { canWrapAtRest, letGoAtRest, lockAtRest, openAtRest, settleHeldState, unwrapAtRest, wrapAtRest } from './at-rest'
import type { UnlockedKeys } from './unlocked-keys'
import { WrongPasskeySecretError } from './prf-wrap'
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
  /** The device's memory of unlocked practices (device.ts DeviceEnvironment.unlocked). */
  readonly unlocked?: UnlockedKeys
}

/** What the screens know of the lock: never the hash, never the credential. */
export interface LockSummary {
  readonly method: 'pin' | 'passkey'
  /** A passkey whose platform gave the PRF extension. */
  readonly prf: boolean
  /** The device's secrets are wrapped at rest by the passkey's PRF secret (at-rest.ts). */
  readonly wrapped: boolean
  /** Not wrapped, and this device holds no secret it could wrap (paired in an earlier session, not an administrator). */
  readonly unwrappable: boolean
  readonly setAt: number
  /** Wrong PINs since the last unlock, and when the next attempt may be made (null: now). */
  readonly failures: number
  readonly retryAt: number | null
}

function clockOf(env: LockEnvironment): () => number {
  return env.now ?? Date.now
}

function summaryOf(record: LockRecord, now: number, atRest: { wrapped: boolean; unwrappable: boolean }): LockSummary {
  return {
    method: record.method.kind,
    prf: record.method.kind === 'passkey' && record.method.prf,
    ...atRest,
    setAt: record.setAt,
    failures: record.failures,
    retryAt: nextAttemptAt(record, now),
  }
}

/** Whether the device's secrets are wrapped, and whether they could be (asked only while unlocked). */
async function atRestOf(spaceId: string, env: LockEnvironment, method: LockRecord['method']): Promise<{ wrapped: boolean; unwrappable: boolean }> {
  // A PIN wraps nothing, and asks nothing of the registry.
  if (method.kind === 'pin') return { wrapped: false, unwrappable: false }
  const wrapped = (await registryOf(env).wrapped(spaceId)) !== null
  if (wrapped) return { wrapped, unwrappable: false }
  return { wrapped, unwrappable: !(await canWrapAtRest(spaceId, env).catch(() => false)) }
}

/** This device's lock for the practice, or null when none was chosen. */
export async function readLock(spaceId: string, env: LockEnvironment = browserEnvironment): Promise<LockSummary | null> {
  const record = await new LockStore(env.idbPrefix).get(spaceId)
  return record === null ? null : summaryOf(record, clockOf(env)(), await atRestOf(spaceId, env, record.method))
}

/** Whether this device can be locked with a passkey (WebAuthn and a platform authenticator). */
export function canUsePasskey(env: LockEnvironment = browserEnvironment): Promise<boolean> {
  return passkeyAvailable(env.passkeys)
}

/** Chooses a PIN (4–8 digits) as this device's lock, replacing any other method. */
export async function choosePin(spaceId: string, pin: string, env: LockEnvironment = browserEnvironment): Promise<LockSummary> {
  const hashed = await hashPin(pin, env.pinIterations === undefined ? {} : { iterations: env.pinIterations })
  const record: LockRecord = { spaceId, method: { kind: 'pin', ...hashed }, ...NO_ATTEMPTS, setAt: clockOf(env)() }
  // A PIN wraps nothing (a 4–8 digit secret does not resist an offline search): the keys a passkey
  // wrapped go back in the clear first, so that no lock leaves the device unable to open them.
  await unwrapAtRest(spaceId, env)
  await new LockStore(env.idbPrefix).put(record)
  return summaryOf(record, record.setAt, await atRestOf(spaceId, env, record.method))
}

/**
 * Makes a passkey on this device (the person verifies) and chooses it as the lock. Where the
 * platform has the PRF extension, the device's secrets are wrapped under its secret now: from the
 * creation's answer, or — a platform that evaluates PRF only on use — from one more verification.
 */
export async function choosePasskey(spaceId: string, practiceName: string, env: LockEnvironment = browserEnvironment): Promise<LockSummary> {
  const { method, prfOutput } = await createPasskey({ practiceName }, env.passkeys)
  const record: LockRecord = { spaceId, method, ...NO_ATTEMPTS, setAt: clockOf(env)() }
  let secret = prfOutput
  if (secret === null && method.prf && (await canWrapAtRest(spaceId, env))) secret = (await verifyPasskey(method, env.passkeys)).prfOutput
  if (secret !== null) {
    // Any previous passkey's wrap is replaced: the secrets are held in memory while unlocked.
    await wrapAtRest(spaceId, method.credentialId, secret, env)
  } else {
    await unwrapAtRest(spaceId, env)
  }
  const prf = method.prf || secret !== null
  const kept: LockRecord = { ...record, method: { ...method, prf } }
  await new LockStore(env.idbPrefix).put(kept)
  return summaryOf(kept, record.setAt, await atRestOf(spaceId, env, kept.method))
}

/** No lock any more on this device (the app then never locks): wrapped keys go back in the clear. */
export async function removeLock(spaceId: string, env: LockEnvironment = browserEnvironment): Promise<void> {
  await unwrapAtRest(spaceId, env)
  await new LockStore(env.idbPrefix).delete(spaceId)
}

/**
 * The practice is locked and closed: what the memory held of it goes, its epoch rings too, and a
 * held state's key kept at rest from before the passkey's wrap (at-rest.ts).
 */
export function lockKeys(spaceId: string, env: LockEnvironment & Pick<DeviceEnvironment, 'epochRings'> = browserEnvironment): Promise<void> {
  return lockAtRest(spaceId, env)
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
 * Asks for the passkey and checks its answer (throws PasskeyError when it does not unlock). With
 * the keys wrapped, its PRF secret opens them (WrongPasskeySecretError, PasskeyError 'no-secret'
 * otherwise); a platform that gives the secret for the first time has the keys wrapped now.
 * Records whether the platform gave the PRF secret this time.
 */
export async function unlockWithPasskey(spaceId: string, env: LockEnvironment = browserEnvironment): Promise<LockSummary | null> {
  const store = new LockStore(env.idbPrefix)
  const record = await store.get(spaceId)
  if (record === null) return null
  if (record.method.kind !== 'passkey') throw new PasskeyError('invalid', 'This device unlocks with a PIN')
  const { prfOutput } = await verifyPasskey(record.method, env.passkeys)
  const wrapped = (await registryOf(env).wrapped(spaceId)) !== null
  if (wrapped && prfOutput === null) throw new PasskeyError('no-secret', 'The passkey gave no PRF secret this time: the keys it wraps stay closed')
  if (prfOutput !== null) {
    let opened: boolean
    try {
      opened = await openAtRest(spaceId, prfOutput, env)
    } catch (error) {
      if (error instanceof WrongPasskeySecretError) throw new PasskeyError('wrong-secret', error.message, { cause: error })
      throw error
    }
    if (!opened) await wrapAtRest(spaceId, record.method.credentialId, prfOutput, env)
  }
  const now = clockOf(env)()
  if (prfOutput !== null && !record.method.prf) {
    const updated = await store.update(spaceId, (stored) => (stored.method.kind === 'passkey' ? { ...stored, method: { ...stored.method, prf: true } } : stored))
    if (updated) return summaryOf(updated, now, await atRestOf(spaceId, env, updated.method))
  }
  return summaryOf(record, now, await atRestOf(spaceId, env, record.method))
}

/**
 * This device forgets the practice: its keys and every local database of it are deleted
 * (forget.ts). Close the practice first.
 */
export function forgetPractice(spaceId: string, env: LockEnvironment & Pick<DeviceEnvironment, 'epochRings'> = browserEnvironment, options: { readonly waitMs?: number } = {}): Promise<ForgetResult> {
  letGoAtRest(spaceId, env)
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
  // The records alone: a locked device reads nothing of its keys (wrapped ones it cannot).
  const [stored] = await registryOf(env).records()
  if (!stored) return { kind: 'first-run' }
  const lock = await readLock(stored.spaceId, env)
  if (lock !== null) {
    // Nothing is open yet: a held state's key left at rest since the passkey's wrap goes now.
    if (lock.wrapped) await settleHeldState(stored.spaceId, env)
    return { kind: 'locked', record: stored, lock }
  }
  const practice = await loadPractice(env)
  return practice === null ? { kind: 'first-run' } : { kind: 'open', practice }
}
