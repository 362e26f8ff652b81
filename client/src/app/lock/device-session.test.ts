/**
 * The device's session without a browser: locking closes the practice (once its screens are gone,
 * and page-wide caches are dropped), unlocking waits for that close before opening it again, a
 * wrong PIN keeps the lock screen with its count, the last one forgets the practice and the
 * first-run screen names it (also after a reload), and tabs follow each other's locks.
 */
import { describe, expect, it, vi } from 'vitest'
import type { OpenPractice, PracticeRecord } from '../../sync/device/device'
import type { LockSummary, PinAttempt } from '../../sync/device/lock/device-lock'
import { onDropPageCaches } from '../../state/page-caches'
import { RoleWatch } from '../../sync/device/role-watch'
import type { RoleChange } from '../../sync/device/role-change'
import { DeviceSession, LOCUM_END_CHECK_MS, type SessionApi } from './device-session'
import { forgottenMarker } from './forgotten-marker'
import type { LockChannel, LockMessage } from './lock-channel'

const RECORD: PracticeRecord = { spaceId: 'S', relayUrl: 'http://relay', practiceName: 'Cabinet des Lilas', deviceId: 'd', memberId: 'm', role: 'praticien', until: null, roleNotice: null }
const PIN_LOCK: LockSummary = { method: 'pin', prf: false, wrapped: false, unwrappable: false, setAt: 0, failures: 0, retryAt: null }

/** A practice whose destroy() is watched and can be held open. */
function practice(record: PracticeRecord = RECORD): OpenPractice & { destroyed: () => boolean; release: () => void } {
  let destroyed = false
  let release = () => undefined as void
  const closing = new Promise<void>((resolve) => {
    release = resolve
  })
  return {
    record,
    space: {
      destroy: async () => {
        await closing
        destroyed = true
      },
      // The session watches the sync state for a revocation: this one never is.
      getSyncState: () => ({ refusal: null }),
      subscribe: () => () => undefined,
    } as unknown as OpenPractice['space'],
    destroyed: () => destroyed,
    release: () => release(),
  }
}

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> {
  const values = new Map<string, string>()
  return { getItem: (k) => values.get(k) ?? null, setItem: (k, v) => void values.set(k, v), removeItem: (k) => void values.delete(k) }
}

function fakeApi(overrides: Partial<SessionApi> = {}): SessionApi & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    loadPractice: async () => {
      calls.push('loadPractice')
      return practice()
    },
    readLock: async () => PIN_LOCK,
    unlockWithPin: async (_spaceId, pin): Promise<PinAttempt> => {
      calls.push(`pin ${pin}`)
      return pin === '1234' ? { kind: 'unlocked' } : { kind: 'wrong', failures: 1, left: 4, retryAt: null }
    },
    unlockWithPasskey: async () => PIN_LOCK,
    forgetPractice: async (spaceId) => {
      calls.push(`forget ${spaceId}`)
      return { deleted: [], pending: [] }
    },
    lockKeys: (spaceId) => Promise.resolve(void calls.push(`lockKeys ${spaceId}`)),
    dismissRoleNotice: (spaceId) => Promise.resolve(void calls.push(`dismissRoleNotice ${spaceId}`)),
    ...overrides,
  }
}

/** Two tabs' channel ends. */
function channels(): [LockChannel, LockChannel] {
  const handlers: Array<Set<(m: LockMessage) => void>> = [new Set(), new Set()]
  const end = (mine: number): LockChannel => ({
    post: (message) => handlers[1 - mine]!.forEach((h) => h(message)),
    listen: (handler) => {
      handlers[mine]!.add(handler)
      return () => handlers[mine]!.delete(handler)
    },
  })
  return [end(0), end(1)]
}

function openSession(api = fakeApi(), options: { lock?: LockSummary | null; channel?: LockChannel } = {}) {
  const first = practice()
  const session = new DeviceSession({ kind: 'first-run' }, api, { marker: forgottenMarker(memoryStorage()), channel: options.channel ?? null, closeAfterMs: 60_000 })
  session.opened(first)
  if (options.lock !== null) session.lockChanged(options.lock ?? PIN_LOCK)
  return { session, first, api }
}

describe('DeviceSession', () => {
  it('offers the lock once after create or join, until chosen or put off', () => {
    const session = new DeviceSession({ kind: 'first-run' }, fakeApi(), { marker: forgottenMarker(memoryStorage()) })
    session.opened(practice())
    expect(session.getSnapshot()).toMatchObject({ kind: 'open', offerLock: true, lock: null })
    session.dismissOffer()
    expect(session.getSnapshot()).toMatchObject({ offerLock: false })
    session.opened(practice())
    session.lockChanged(PIN_LOCK)
    expect(session.getSnapshot()).toMatchObject({ offerLock: false, lock: PIN_LOCK })
  })

  it('cannot lock without a method', () => {
    const { session } = openSession(fakeApi(), { lock: null })
    session.lock()
    expect(session.getSnapshot().kind).toBe('open')
  })

  it('locks: the practice closes once the lock screen is up, and page caches are dropped', async () => {
    const { session, first } = openSession()
    const dropped = vi.fn()
    const stop = onDropPageCaches(dropped)
    session.lock()
    expect(session.getSnapshot()).toEqual({ kind: 'locked', record: RECORD, lock: PIN_LOCK })
    expect(dropped, 'the screens unmount first').not.toHaveBeenCalled()
    session.lockScreenShown()
    expect(dropped).toHaveBeenCalledOnce()
    first.release()
    await session.whenClosed()
    expect(first.destroyed()).toBe(true)
    stop()
  })

  it('reopens only once the close has finished (pending changes flushed)', async () => {
    const api = fakeApi()
    const { session, first } = openSession(api)
    session.lock()
    session.lockScreenShown()
    const unlocking = session.unlockWithPin('1234')
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(api.calls, 'the PIN is checked, the practice not opened while the old one closes').toEqual(['pin 1234'])
    first.release()
    await unlocking
    expect(api.calls, 'the keys the passkey unwrapped go once the practice has closed, before it opens again').toEqual(['pin 1234', 'lockKeys S', 'loadPractice'])
    expect(first.destroyed()).toBe(true)
    expect(session.getSnapshot()).toMatchObject({ kind: 'open', lock: PIN_LOCK, offerLock: false })
  })

  it('keeps the lock screen on a wrong PIN, with the count', async () => {
    const { session, first } = openSession()
    session.lock()
    first.release()
    expect(await session.unlockWithPin('0000')).toEqual({ kind: 'wrong', failures: 1, left: 4, retryAt: null })
    expect(session.getSnapshot()).toMatchObject({ kind: 'locked', lock: { failures: 1 } })
  })

  it('forgets the practice after the last wrong PIN, and the first-run screen names it, also after a reload', async () => {
    const storage = memoryStorage()
    const api = fakeApi({ unlockWithPin: async () => ({ kind: 'exhausted' }) })
    const session = new DeviceSession({ kind: 'locked', record: RECORD, lock: PIN_LOCK }, api, { marker: forgottenMarker(storage) })
    expect(await session.unlockWithPin('9999')).toEqual({ kind: 'forgotten' })
    expect(api.calls).toEqual(['forget S'])
    expect(session.getSnapshot()).toEqual({ kind: 'first-run', forgotten: { name: 'Cabinet des Lilas', reason: 'lock' } })

    const reloaded = new DeviceSession({ kind: 'first-run' }, api, { marker: forgottenMarker(storage) })
    expect(reloaded.getSnapshot()).toEqual({ kind: 'first-run', forgotten: { name: 'Cabinet des Lilas', reason: 'lock' } })
    reloaded.opened(practice())
    expect(new DeviceSession({ kind: 'first-run' }, api, { marker: forgottenMarker(storage) }).getSnapshot()).toEqual({ kind: 'first-run', forgotten: null })
  })

  it('starts locked without opening anything, and opens on the passkey', async () => {
    const api = fakeApi()
    const session = new DeviceSession({ kind: 'locked', record: RECORD, lock: { ...PIN_LOCK, method: 'passkey' } }, api, { marker: forgottenMarker(null) })
    session.lockScreenShown()
    const opening = vi.fn()
    await session.unlockWithPasskey(opening)
    expect(opening).toHaveBeenCalledOnce()
    expect(session.getSnapshot().kind).toBe('open')
  })

  it('stays locked when the passkey does not unlock', async () => {
    const api = fakeApi({ unlockWithPasskey: async () => Promise.reject(new Error('cancelled')) })
    const session = new DeviceSession({ kind: 'locked', record: RECORD, lock: PIN_LOCK }, api, { marker: forgottenMarker(null) })
    await expect(session.unlockWithPasskey()).rejects.toThrow('cancelled')
    expect(session.getSnapshot().kind).toBe('locked')
    expect(api.calls).toEqual([])
  })

  it('closes the practice even if the lock screen never says it is up', async () => {
    vi.useFakeTimers()
    try {
      const first = practice()
      const session = new DeviceSession({ kind: 'open', practice: first }, fakeApi(), { marker: forgottenMarker(null), closeAfterMs: 1_000 })
      session.lockChanged(PIN_LOCK)
      session.lock()
      first.release()
      await vi.advanceTimersByTimeAsync(1_000)
      expect(first.destroyed()).toBe(true)
    } finally {
      vi.useRealTimers()
    }
  })

  /**
   * A session open on `before`, whose role watch says what `say` is given; opening again gives a
   * practice of `after` (already closable).
   */
  function sessionWithRoleWatch(before: PracticeRecord, after: PracticeRecord) {
    const reopened = practice(after)
    reopened.release()
    const api = fakeApi({
      loadPractice: async () => {
        api.calls.push('loadPractice')
        return reopened
      },
    })
    let said: RoleChange | null = null
    const role = new RoleWatch(async () => said)
    const first = Object.assign(practice(before), { role })
    const session = new DeviceSession({ kind: 'first-run' }, api, { marker: forgottenMarker(memoryStorage()), channel: null, closeAfterMs: 60_000 })
    session.opened(first)
    const say = (change: RoleChange | null) => {
      said = change
      return role.check()
    }
    return { api, first, reopened, session, say }
  }

  it('closes and opens again a practice whose role the registry narrowed, keeping its keys in memory; the notice is read once', async () => {
    const notice = { role: 'secretariat', at: 1_700_000_000_000, by: 'admin-device' } as const
    const { api, first, reopened, session, say } = sessionWithRoleWatch(RECORD, { ...RECORD, role: 'secretariat', roleNotice: notice })
    session.lockChanged(PIN_LOCK)
    await say(null)
    expect(session.getSnapshot().kind, 'nothing narrowed yet').toBe('open')
    // The record changes meanwhile (a member chosen): still the same practice.
    const chosen = { ...RECORD, memberId: 'm2' }
    session.recordChanged(chosen)
    await say({ role: 'secretariat', until: null, notice, widened: false })
    expect(session.getSnapshot()).toMatchObject({ kind: 'reopening', record: chosen })
    first.release()
    await vi.waitFor(() => expect(session.getSnapshot()).toMatchObject({ kind: 'open', practice: reopened, lock: PIN_LOCK }))
    expect(first.destroyed()).toBe(true)
    // No lock: the keys a passkey unwrapped stay in memory for the practice opened again.
    expect(api.calls).toEqual(['loadPractice'])
    await session.dismissRoleNotice()
    expect(api.calls).toEqual(['loadPractice', 'dismissRoleNotice S'])
    expect(session.getSnapshot()).toMatchObject({ kind: 'open', practice: { record: { roleNotice: null } } })
  })

  it('opens again in place a practice whose role the registry widened (its grant taken), without a reload; the notice says so', async () => {
    const notice = { role: 'praticien', at: 1_700_000_000_000, by: 'admin-device' } as const
    const secretary = { ...RECORD, role: 'secretariat' } as const
    const { api, first, reopened, session, say } = sessionWithRoleWatch(secretary, { ...RECORD, role: 'praticien', roleNotice: notice })
    await say(null)
    expect(session.getSnapshot().kind, 'nothing changed yet').toBe('open')
    await say({ role: 'praticien', until: null, notice, widened: true })
    expect(session.getSnapshot()).toMatchObject({ kind: 'reopening', record: secretary })
    first.release()
    await vi.waitFor(() => expect(session.getSnapshot()).toMatchObject({ kind: 'open', practice: reopened }))
    expect(first.destroyed()).toBe(true)
    expect(api.calls).toEqual(['loadPractice'])
    expect(session.getSnapshot()).toMatchObject({ practice: { record: { role: 'praticien', roleNotice: notice } } })
  })

  it('erases a revoked device’s practice as soon as the relay says so, and says why, also after a reload', async () => {
    const storage = memoryStorage()
    const api = fakeApi()
    const revoked = practice()
    let refusal: string | null = null
    const listeners = new Set<() => void>()
    Object.assign(revoked.space, {
      getSyncState: () => ({ refusal }),
      subscribe: (listener: () => void) => {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
    })
    const session = new DeviceSession({ kind: 'first-run' }, api, { marker: forgottenMarker(storage) })
    session.opened(revoked)
    refusal = 'unauthorized'
    listeners.forEach((l) => l())
    expect(session.getSnapshot().kind).toBe('open')
    refusal = 'revoked'
    listeners.forEach((l) => l())
    expect(session.getSnapshot()).toEqual({ kind: 'first-run', forgotten: { name: 'Cabinet des Lilas', reason: 'revoked' } })
    revoked.release()
    await vi.waitFor(() => expect(api.calls).toEqual(['lockKeys S', 'forget S']))
    expect(revoked.destroyed()).toBe(true)
    expect(new DeviceSession({ kind: 'first-run' }, api, { marker: forgottenMarker(storage) }).getSnapshot()).toEqual({
      kind: 'first-run',
      forgotten: { name: 'Cabinet des Lilas', reason: 'revoked' },
    })
  })

  it('erases a locum’s device once the relay says its replacement ended, and says so, also after a reload', async () => {
    const storage = memoryStorage()
    const api = fakeApi()
    const locum = practice()
    let refusal: string | null = null
    const listeners = new Set<() => void>()
    Object.assign(locum.space, {
      getSyncState: () => ({ refusal }),
      subscribe: (listener: () => void) => {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
    })
    const session = new DeviceSession({ kind: 'first-run' }, api, { marker: forgottenMarker(storage) })
    session.opened(locum)
    refusal = 'ended'
    listeners.forEach((l) => l())
    expect(session.getSnapshot()).toEqual({ kind: 'first-run', forgotten: { name: 'Cabinet des Lilas', reason: 'ended' } })
    locum.release()
    await vi.waitFor(() => expect(api.calls).toEqual(['lockKeys S', 'forget S']))
    expect(locum.destroyed()).toBe(true)
    expect(new DeviceSession({ kind: 'first-run' }, api, { marker: forgottenMarker(storage) }).getSnapshot()).toEqual({
      kind: 'first-run',
      forgotten: { name: 'Cabinet des Lilas', reason: 'ended' },
    })
  })

  it('erases a locum’s device kept offline once its own clock passes the end date, checked every minute', async () => {
    vi.useFakeTimers()
    try {
      const storage = memoryStorage()
      const api = fakeApi()
      const T0 = Date.UTC(2027, 2, 31, 21, 58)
      let now = T0
      const until = T0 + 90_000
      const locum = practice({ ...RECORD, role: 'remplacant', until })
      const session = new DeviceSession({ kind: 'first-run' }, api, { marker: forgottenMarker(storage), now: () => now })
      session.opened(locum)
      expect(session.getSnapshot().kind).toBe('open')
      now = until - 1
      await vi.advanceTimersByTimeAsync(LOCUM_END_CHECK_MS)
      expect(session.getSnapshot().kind, 'not before its end').toBe('open')
      now = until
      await vi.advanceTimersByTimeAsync(LOCUM_END_CHECK_MS)
      expect(session.getSnapshot()).toEqual({ kind: 'first-run', forgotten: { name: 'Cabinet des Lilas', reason: 'ended' } })
      locum.release()
      await vi.waitFor(() => expect(api.calls).toEqual(['lockKeys S', 'forget S']))
      // Opened again past its end (a locked device unlocked, a reload): erased at once.
      const late = practice({ ...RECORD, role: 'remplacant', until })
      const again = new DeviceSession({ kind: 'open', practice: late }, fakeApi(), { marker: forgottenMarker(memoryStorage()), now: () => now })
      expect(again.getSnapshot()).toMatchObject({ kind: 'first-run', forgotten: { reason: 'ended' } })
      late.release()
    } finally {
      vi.useRealTimers()
    }
  })

  it("follows the other tabs: a lock locks every tab, a forgotten practice closes everywhere", async () => {
    const [one, two] = channels()
    const a = openSession(fakeApi(), { channel: one })
    const b = openSession(fakeApi(), { channel: two })
    const stops = [a.session.listen(), b.session.listen()]
    a.session.lock()
    expect(b.session.getSnapshot().kind).toBe('locked')
    a.first.release()
    b.first.release()
    a.session.lockScreenShown()
    b.session.lockScreenShown()

    await a.session.forget()
    expect(b.session.getSnapshot()).toEqual({ kind: 'first-run', forgotten: { name: 'Cabinet des Lilas', reason: 'lock' } })
    expect(b.api.calls, 'only the tab that forgot deletes; each tab lets its own keys go').toEqual(['lockKeys S'])
    stops.forEach((stop) => stop())
  })

  it('locks the other tabs when one has the keys wrapped by its passkey (they hold none of them in memory)', async () => {
    const [one, two] = channels()
    const wrapped: LockSummary = { ...PIN_LOCK, method: 'passkey', prf: true, wrapped: true }
    const a = openSession(fakeApi({ readLock: async () => wrapped }), { channel: one })
    const b = openSession(fakeApi({ readLock: async () => wrapped }), { channel: two })
    const stops = [a.session.listen(), b.session.listen()]
    a.session.lockChanged(wrapped)
    await vi.waitFor(() => expect(b.session.getSnapshot()).toMatchObject({ kind: 'locked', lock: { wrapped: true } }))
    expect(a.session.getSnapshot().kind, 'the tab that wrapped them holds them: it stays open').toBe('open')
    stops.forEach((stop) => stop())
  })
})
