/**
 * The pairing mailbox as the devices call it (protocol: shared/src/devices/pairing-wire.ts).
 *
 * The joining device's calls carry no credential (it has none yet: the code is its capability);
 * the administrator's carry its space credential. Every answer is validated before use: the relay
 * is not trusted, and what it says about a pairing is only ever a proposal the keys then check.
 */
import type { DevicePublicKeys } from '../../../../shared/src/devices/device-identity'
import { ClaimOutcome, PairingState } from '../../../../shared/src/devices/pairing-wire'
import { Paths } from '../../../../shared/src/protocol/constants'
import { z } from 'zod'
import { PairingError, PairingFailure } from '../device/pairing-errors'
import { RelayError, RelayFailure } from '../errors'

export interface PairingClientTarget {
  relayUrl: string
  fetchImpl?: typeof fetch
}

const Opened = z.object({ code: z.string(), expiresAt: z.number() })

/** No node of the relay could tell where the pairing is, this time: ask again later. */
export interface PairingUnavailable {
  state: 'unavailable'
  /** The HTTP status (429, 5xx), or null when nothing answered. */
  status: number | null
  /** What the relay's Retry-After asked for (delta-seconds only), or null. */
  retryAfterMs: number | null
}

export type PairingPoll = PairingState | { state: 'gone' } | PairingUnavailable

/** Retry-After in delta-seconds, as the relay sends it; an HTTP-date or garbage counts as absent. */
function retryAfterMs(header: string | null): number | null {
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return null
  return Number(header.trim()) * 1000
}

export class PairingClient {
  constructor(private readonly target: PairingClientTarget) {}

  async open(joining: DevicePublicKeys): Promise<{ code: string; expiresAt: number }> {
    const response = await this.send(Paths.pairings, { method: 'POST', body: JSON.stringify({ joining }) })
    if (response.status === 429) throw new PairingError(PairingFailure.Busy, 'The relay has too many pairings open: try again in a minute')
    if (response.status !== 201) throw this.refusal(response, 'opening the pairing')
    return this.read(response, Opened)
  }

  /**
   * The pairing as the relay tells it now; `gone` once it expired or was collected (404, 410);
   * `unavailable` when no node could answer now: no answer at all, a 5xx (a node restarting
   * behind the proxy, storage down), or a 429 (this address polled too often), with the wait the
   * relay asked for (Retry-After), if it did. Any other answer is a RelayError.
   */
  async state(code: string): Promise<PairingPoll> {
    let response: Response
    try {
      response = await this.send(`${Paths.pairings}/${code}`, { method: 'GET' })
    } catch (error) {
      if (error instanceof RelayError && error.reason === RelayFailure.Unreachable) return { state: 'unavailable', status: null, retryAfterMs: null }
      throw error
    }
    if (response.status === 404 || response.status === 410) return { state: 'gone' }
    if (response.status === 429 || response.status >= 500) {
      return { state: 'unavailable', status: response.status, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) }
    }
    if (response.status !== 200) throw this.refusal(response, 'the pairing')
    return this.read(response, PairingState)
  }

  async cancel(code: string): Promise<void> {
    await this.send(`${Paths.pairings}/${code}`, { method: 'DELETE' }).catch(() => undefined)
  }

  async claim(space: { spaceId: string; credential: string }, code: string, admin: DevicePublicKeys): Promise<DevicePublicKeys> {
    const response = await this.send(`${Paths.spaces}/${space.spaceId}/pairings/${code}/claim`, {
      method: 'POST',
      body: JSON.stringify({ admin }),
      credential: space.credential,
    })
    if (response.status !== 200) throw this.refusal(response, 'claiming the pairing')
    const outcome = await this.read(response, ClaimOutcome)
    if (outcome.outcome === 'unknown') throw new PairingError(PairingFailure.UnknownCode, 'No pairing open under this code: it may have expired')
    if (outcome.outcome === 'taken') throw new PairingError(PairingFailure.Taken, 'Another device is already accepting this pairing')
    return outcome.joining
  }

  async seal(space: { spaceId: string; credential: string }, code: string, sealed: string): Promise<void> {
    const response = await this.send(`${Paths.spaces}/${space.spaceId}/pairings/${code}/sealed`, {
      method: 'PUT',
      body: JSON.stringify({ sealed }),
      credential: space.credential,
    })
    if (response.status === 404) throw new PairingError(PairingFailure.Expired, 'The pairing expired before it was accepted')
    if (response.status !== 204) throw this.refusal(response, 'the sealed pairing')
  }

  async refuse(space: { spaceId: string; credential: string }, code: string): Promise<void> {
    const response = await this.send(`${Paths.spaces}/${space.spaceId}/pairings/${code}`, { method: 'DELETE', credential: space.credential })
    if (response.status !== 204 && response.status !== 404) throw this.refusal(response, 'refusing the pairing')
  }

  private async send(path: string, init: { method: string; body?: string; credential?: string }): Promise<Response> {
    const fetchImpl = this.target.fetchImpl ?? fetch
    const headers: Record<string, string> = {}
    if (init.body !== undefined) headers['content-type'] = 'application/json'
    if (init.credential !== undefined) headers.authorization = `Bearer ${init.credential}`
    try {
      return await fetchImpl(new URL(path, this.target.relayUrl).toString(), {
        method: init.method,
        headers,
        cache: 'no-store',
        ...(init.body === undefined ? {} : { body: init.body }),
      })
    } catch (cause) {
      throw new RelayError(RelayFailure.Unreachable, `Relay unreachable at ${this.target.relayUrl}`, null, { cause })
    }
  }

  private async read<S extends z.ZodType>(response: Response, schema: S): Promise<z.infer<S>> {
    let json: unknown
    try {
      json = await response.json()
    } catch (cause) {
      throw new RelayError(RelayFailure.Rejected, 'The relay answered the pairing with something that is not JSON', response.status, { cause })
    }
    const parsed = schema.safeParse(json)
    if (!parsed.success) throw new RelayError(RelayFailure.Rejected, 'The relay answered the pairing with an unexpected shape', response.status)
    return parsed.data as z.infer<S>
  }

  private refusal(response: Response, what: string): RelayError {
    return new RelayError(response.status === 401 ? RelayFailure.Unauthorized : RelayFailure.Rejected, `The relay refused ${what} (${response.status})`, response.status)
  }
}
