import { CloseCode, type CloseCodeName } from '../../../shared/src/protocol/constants'
import type { FrameRejectionReason } from '../metrics/relay-metrics'

/**
 * A frame the relay refuses. It closes the connection that sent it with `closeCode`, and nothing
 * else: other connections and the room carry on.
 */
export class FrameError extends Error {
  override name = 'FrameError'
  constructor(
    readonly closeCode: CloseCodeName,
    readonly reason: FrameRejectionReason,
    message: string,
  ) {
    super(message)
  }

  get close(): { code: number; reason: string } {
    return CloseCode[this.closeCode]
  }
}
