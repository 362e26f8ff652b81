/**
 * The relay's digest routes, from the device (relay/src/app/digests.ts holds the contract). The
 * URL carries the space id and the digest's name only; the credential travels in the
 * Authorization header; the weight in X-Tournee-Digest-Weight; the body is ciphertext
 * (shared/src/digest/digest-cipher.ts), whose associated data binds that weight.
 *
 * A relay without digest routes (older than them) answers 404 without naming a field: that reads
 * as "no digest", the device then simply waits for the doc to sync, as before digests existed.
 */
import { isDigestWeight, type DigestName } from '../../../shared/src/digest/digest-cipher'
import { DIGEST_WEIGHT_HEADER, ERROR_FIELD_HEADER, Paths } from '../../../shared/src/protocol/constants'

export interface DigestTarget {
  relayUrl: string
  spaceId: string
  credential: string
  name: DigestName
  fetchImpl?: typeof fetch
}

/** The relay refused (400, 401, 404 unknown space, 413, 5xx) or answered something unreadable. */
export class DigestHttpError extends Error {
  override name = 'DigestHttpError'
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** No answer at all (offline, relay down): try again later. */
export class DigestUnreachableError extends Error {
  override name = 'DigestUnreachableError'
}

function digestUrl(target: DigestTarget): string {
  return new URL(
    `${Paths.spaces}/${encodeURIComponent(target.spaceId)}/digests/${encodeURIComponent(target.name)}`,
    target.relayUrl,
  ).toString()
}

async function send(target: DigestTarget, init: RequestInit): Promise<Response> {
  const fetchImpl = target.fetchImpl ?? fetch
  try {
    return await fetchImpl(digestUrl(target), {
      ...init,
      // A digest changes as the practice does: never a kept copy.
      cache: 'no-store',
      headers: { ...init.headers, authorization: `Bearer ${target.credential}` },
    })
  } catch (cause) {
    throw new DigestUnreachableError(`Relay unreachable at ${target.relayUrl}`, { cause })
  }
}

function refusal(response: Response, what: string): DigestHttpError {
  const field = response.headers.get(ERROR_FIELD_HEADER)
  return new DigestHttpError(response.status, `The relay refused ${what} (${response.status}${field ? `, ${field}` : ''})`)
}

/**
 * "No digest here": the relay's 204, or a 404 that is not about the space (a relay older than the
 * digest routes answers its generic 404; a 404 naming the space is a refusal).
 */
function isNoDigest(response: Response): boolean {
  return response.status === 204 || (response.status === 404 && response.headers.get(ERROR_FIELD_HEADER) !== 'spaceId')
}

function weightOf(response: Response): number {
  const raw = response.headers.get(DIGEST_WEIGHT_HEADER)
  const weight = raw !== null && /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN
  if (!isDigestWeight(weight)) {
    throw new DigestHttpError(response.status, `The relay answered without a valid ${DIGEST_WEIGHT_HEADER} (${raw ?? 'none'})`)
  }
  return weight
}

/**
 * Publishes a digest: `created` or `replaced` once the relay holds it; `stale` when the relay
 * already holds a heavier one (nothing changed there, which is not an error: another device was
 * further along).
 */
export async function putDigest(target: DigestTarget, weight: number, blob: Uint8Array): Promise<'created' | 'replaced' | 'stale'> {
  if (!isDigestWeight(weight)) throw new RangeError(`A digest weight is a non-negative safe integer; got ${weight}`)
  const response = await send(target, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', [DIGEST_WEIGHT_HEADER]: String(weight) },
    body: blob.slice().buffer,
  })
  if (response.status === 201) return 'created'
  if (response.status === 200) return 'replaced'
  if (response.status === 409) return 'stale'
  throw refusal(response, `the ${target.name} digest`)
}

/** The stored digest and its weight, or null when the space has none yet. */
export async function getDigest(target: DigestTarget): Promise<{ weight: number; blob: Uint8Array } | null> {
  const response = await send(target, { method: 'GET' })
  if (isNoDigest(response)) return null
  if (response.status !== 200) throw refusal(response, `the ${target.name} digest`)
  const weight = weightOf(response)
  try {
    return { weight, blob: new Uint8Array(await response.arrayBuffer()) }
  } catch (cause) {
    throw new DigestUnreachableError('Connection lost while downloading the digest', { cause })
  }
}

/** The stored digest's weight (to decide whether publishing is worth it), or null when none. */
export async function headDigest(target: DigestTarget): Promise<number | null> {
  const response = await send(target, { method: 'HEAD' })
  if (isNoDigest(response)) return null
  if (response.status !== 200) throw refusal(response, `the ${target.name} digest's weight`)
  return weightOf(response)
}
