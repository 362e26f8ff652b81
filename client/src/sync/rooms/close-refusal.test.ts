import { describe, expect, it } from 'vitest'
import { CloseCode } from '../../../../shared/src/protocol/constants'
import { RefusalReason } from '../errors'
import { refusalOfClose } from './close-refusal'

/*
 * The policy, written as the wire numbers the relay sends (docs/sync-protocol.md), not as the
 * module's own map: a renumbered close code, or a code moved from « retry » to « refuse », fails
 * here. A close is a refusal when retrying cannot succeed until someone acts (a new credential, a
 * new role, an app update, a quota raised); every other close is a lost link.
 */
const REFUSED: ReadonlyArray<readonly [number, RefusalReason]> = [
  [4401, RefusalReason.Unauthorized],
  [4403, RefusalReason.RoleForbidden],
  [4404, RefusalReason.SpaceNotFound],
  [4410, RefusalReason.Revoked],
  [4411, RefusalReason.Ended],
  [4426, RefusalReason.ProtocolMismatch],
  [4507, RefusalReason.TooManyRooms],
]
// 4205 (RoleWidened) too: the device reconnects and, back online, reads the registry for its new role.
const RETRIED: readonly number[] = [1000, 1001, 1006, 1009, 4205, 4400, 4413, 4429, 4500]

describe('refusalOfClose', () => {
  it.each(REFUSED)('close %i is a refusal (%s): the room stops retrying', (code, reason) => {
    expect(refusalOfClose(code)).toBe(reason)
  })

  it.each([null, ...RETRIED])('close %s is a lost link, retried', (code) => {
    expect(refusalOfClose(code)).toBeNull()
  })

  it('reads 4403 as the role refusal, not as a refused origin (a refused origin is an HTTP 403 at the upgrade)', () => {
    expect(CloseCode.RoleForbidden.code).toBe(4403)
    expect(refusalOfClose(CloseCode.Forbidden.code)).toBe(RefusalReason.RoleForbidden)
  })

  it('every close code the relay can send has a decided policy here', () => {
    const decided = new Set<number>([...REFUSED.map(([code]) => code), ...RETRIED])
    const undecided = Object.entries(CloseCode)
      .filter(([, close]) => !decided.has(close.code))
      .map(([name, close]) => `${name} (${close.code})`)
    expect(undecided).toEqual([])
  })
})
