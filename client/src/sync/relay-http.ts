/**
 * The relay's two HTTP routes a device calls: register a space, and check access to it.
 * The credential travels in the Authorization header, never in a URL.
 */
import { ENROLMENT_HEADER, Paths } from '../../../shared/src/protocol/constants'
import { RefusalReason } from './sync-state'

export const RelayFailure = {
  ...RefusalReason,
  /** The relay requires the operator's enrolment secret to create a space. */
  EnrolmentRequired: 'enrolment-required',
  /** No answer: no network, wrong address, or the relay is down. */
  Unreachable: 'unreachable',
  /** Another space already uses this id (practically impossible with random ids). */
  Conflict: 'conflict',
} as const
export type RelayFailure = (typeof RelayFailure)[keyof typeof RelayFailure]

export class RelayRefusedError extends Error {
  override name = 'RelayRefusedError'
  readonly reason: RelayFailure
  constructor(reason: RelayFailure, message?: string, options?: ErrorOptions) {
    super(message ?? `The relay refused: ${reason}`, options)
    this.reason = reason
  }
}

function spaceUrl(relayUrl: string, spaceId: string): string {
  return new URL(`${Paths.spaces}/${encodeURIComponent(spaceId)}`, relayUrl).toString()
}

/** Registers a space and the hash of its credential (the relay hashes; it never stores it). */
export async function registerSpace(
  relayUrl: string,
  spaceId: string,
  credential: string,
  enrolmentSecret?: string,
  fetchImpl: typeof fetch = fetch,
): Promise<void> {
  const headers: Record<string, string> = { authorization: `Bearer ${credential}` }
  if (enrolmentSecret) headers[ENROLMENT_HEADER] = enrolmentSecret
  let response: Response
  try {
    response = await fetchImpl(spaceUrl(relayUrl, spaceId), { method: 'PUT', headers })
  } catch (cause) {
    throw new RelayRefusedError(RelayFailure.Unreachable, `Relay unreachable at ${relayUrl}`, { cause })
  }
  if (response.status === 200 || response.status === 201) return
  if (response.status === 401 || response.status === 403) {
    // Missing or wrong, the person's next step is the same: enter the administrator's code.
    throw new RelayRefusedError(RelayFailure.EnrolmentRequired, 'This relay only accepts new practices with its enrolment secret')
  }
  if (response.status === 409) throw new RelayRefusedError(RelayFailure.Conflict)
  throw new RelayRefusedError(RelayFailure.Unreachable, `Unexpected relay answer ${response.status}`)
}

export type RelayAccess = { kind: 'ok' } | { kind: 'refused'; reason: RefusalReason } | { kind: 'unreachable' }

/** Tells "refused" (act) from "unreachable" (wait): a failed WebSocket upgrade cannot say which. */
export async function probeRelayAccess(
  relayUrl: string,
  spaceId: string,
  credential: string,
  fetchImpl: typeof fetch = fetch,
): Promise<RelayAccess> {
  let response: Response
  try {
    response = await fetchImpl(spaceUrl(relayUrl, spaceId), { headers: { authorization: `Bearer ${credential}` } })
  } catch {
    // No answer at all is the ordinary offline case, not an error to report.
    return { kind: 'unreachable' }
  }
  switch (response.status) {
    case 200:
    case 204:
      return { kind: 'ok' }
    case 401:
      return { kind: 'refused', reason: RefusalReason.Unauthorized }
    case 403:
      return { kind: 'refused', reason: RefusalReason.Forbidden }
    case 404:
      return { kind: 'refused', reason: RefusalReason.SpaceNotFound }
    case 426:
      return { kind: 'refused', reason: RefusalReason.ProtocolMismatch }
    default:
      return { kind: 'unreachable' }
  }
}
