import { describe, expect, it } from 'vitest'
import { CloseCode } from '../../../../shared/src/protocol/constants'
import { RefusalReason } from '../errors'
import { refusalOfClose } from './close-refusal'

describe('refusalOfClose', () => {
  it.each([
    [CloseCode.RoleForbidden.code, RefusalReason.RoleForbidden],
    [CloseCode.Unauthorized.code, RefusalReason.Unauthorized],
    [CloseCode.SpaceNotFound.code, RefusalReason.SpaceNotFound],
    [CloseCode.ProtocolMismatch.code, RefusalReason.ProtocolMismatch],
    [CloseCode.TooManyRooms.code, RefusalReason.TooManyRooms],
    [CloseCode.DeviceRevoked.code, RefusalReason.Revoked],
    [CloseCode.AccessEnded.code, RefusalReason.Ended],
  ])('close code %i is a refusal (%s): the room stops retrying', (code, reason) => {
    expect(refusalOfClose(code)).toBe(reason)
  })

  it('reads 4403 as the role refusal, not as a refused origin', () => {
    expect(refusalOfClose(4403)).toBe(RefusalReason.RoleForbidden)
  })

  it.each([null, CloseCode.Normal.code, CloseCode.GoingAway.code, CloseCode.RateLimited.code, CloseCode.StorageFailure.code, CloseCode.BadFrame.code])(
    'close %s is a lost link, retried',
    (code) => {
      expect(refusalOfClose(code)).toBeNull()
    },
  )
})
