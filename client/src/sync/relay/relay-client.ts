/**
 * The relay's HTTP routes, from the device: one client for a space, one error vocabulary
 * (errors.ts). The contracts are the relay's (relay/src/app/spaces.ts, attachments.ts,
 * digests.ts, docs/relay.md):
 *
 *   PUT  /v1/spaces/<spaceId>                         register the space (credential hash kept)
 *   GET  /v1/spaces/<spaceId>                         may this credential use the space?
 *   PUT  /v1/spaces/<spaceId>/attachments/<sha256>    store an attachment's ciphertext
 *   GET  /v1/spaces/<spaceId>/attachments/<sha256>
 *   PUT  /v1/spaces/<spaceId>/digests/<name>          X-Tournee-Digest-Weight: the device's weight,
 *                                                     If-Match: the ETag read, or If-None-Match: *
 *   GET  /v1/spaces/<spaceId>/digests/<name>          the stored digest, its ETag and weight
 *   HEAD /v1/spaces/<spaceId>/digests/<name>          its ETag and weight alone
 *
 * The URL carries only the space id, a hash or a digest name; the credential travels in the
 * Authorization header, never in a URL; bodies are ciphertext. No answer at all is
 * `unreachable` (try later); every answer that is not success becomes a RelayError whose reason
 * says what the person or the device can do about it.
 */
import { isDigestWeight, type DigestName } from '../../../../shared/src/digest/digest-cipher'
import { DIGEST_WEIGHT_HEADER, ENROLMENT_HEADER, ERROR_FIELD_HEADER, Paths, REVOKED_FIELD, ENDED_FIELD } from '../../../../shared/src/protocol/constants'
import { RelayError, RelayFailure, RefusalReason } from '../errors'

export interface RelayTarget {
  readonly relayUrl: string
  readonly spaceId: string
  readonly credential: string
  readonly fetchImpl?: typeof fetch
  /** How long probeAccess waits for an answer before it calls the relay unreachable (PROBE_TIMEOUT_MS). */
  readonly probeTimeoutMs?: number
}

/**
 * A probe still unanswered after this long is given up as « unreachable ». A room whose socket
 * never opened waits for its probe before it retries (rooms/room.ts): neither fetch nor the browser
 * bounds that wait (a half-open connection on a tablet's 4G, a proxy or relay that lost the
 * request), and a probe that never answered left the room « syncing (offline) » with no socket and
 * no retry for good — its changes undelivered (client/src/sync/rooms/room-probe.test.ts). A relay
 * answers it in milliseconds; 10 s, as for a socket's opening (adapters/relay-link.ts OPEN_TIMEOUT_MS).
 */
export const PROBE_TIMEOUT_MS = 10_000

export type RelayAccess = { kind: 'ok' } | { kind: 'refused'; reason: RefusalReason } | { kind: 'unreachable' }
/**
 * What a digest publication replaces: nothing (the relay had none when this device looked), or
 * the stored digest of that ETag, which this device read. The relay refuses (412) a publication
 * whose expectation no longer holds: it never overwrites a digest the device has not looked at.
 */
export type DigestExpectation = { readonly kind: 'absent' } | { readonly kind: 'etag'; readonly etag: string }
/** `stale`: the relay's digest is not the one expected (another device published meanwhile). */
export type PutDigestOutcome = { readonly status: 'created' | 'replaced'; readonly etag: string } | { readonly status: 'stale' }
/** A stored digest's version (opaque) and the weight its publisher claims, unchecked until it opens. */
export interface DigestHead {
  readonly etag: string
  readonly weight: number
}

/** What an answer's status means, for every route but the digests' "none yet". */
function failureOf(status: number): RelayFailure {
  switch (status) {
    case 401:
      return RelayFailure.Unauthorized
    case 403:
      return RelayFailure.Forbidden
    case 404:
      return RelayFailure.NotFound
    case 409:
      return RelayFailure.Conflict
    case 413:
      return RelayFailure.TooLarge
    case 426:
      return RelayFailure.ProtocolMismatch
    case 507:
      return RelayFailure.SpaceFull
    // A stopping relay (503) or a reverse proxy whose relay is down (502, 504): there is no relay
    // to answer right now, as when the network is down; try again later.
    case 502:
    case 503:
    case 504:
      return RelayFailure.Unreachable
    default:
      return RelayFailure.Rejected
  }
}

/** One space on one relay, as this device reaches it. */
export class RelayClient {
  constructor(private readonly target: RelayTarget) {}

  /**
   * Registers a new space and the hash of its credential (the relay hashes; it never stores the
   * credential). A relay that wants its enrolment secret answers 401/403 alike: the person's next
   * step is the same, enter the administrator's code.
   */
  async registerSpace(enrolmentSecret?: string): Promise<void> {
    const headers: Record<string, string> = {}
    if (enrolmentSecret) headers[ENROLMENT_HEADER] = enrolmentSecret
    const response = await this.send(this.spaceUrl(), { method: 'PUT', headers })
    if (response.status === 200 || response.status === 201) return
    if (response.status === 401 || response.status === 403) {
      throw new RelayError(RelayFailure.EnrolmentRequired, 'This relay only accepts new practices with its enrolment secret', response.status)
    }
    throw this.refusal(response, 'the new practice')
  }

  /** Tells "refused" (act) from "unreachable" (wait): a failed WebSocket upgrade cannot say which. */
  async probeAccess(): Promise<RelayAccess> {
    let response: Response
    try {
      response = await this.send(this.spaceUrl(), { method: 'GET', signal: AbortSignal.timeout(this.target.probeTimeoutMs ?? PROBE_TIMEOUT_MS) })
    } catch {
      // No answer at all (or none in time) is the ordinary offline case, not an error to report.
      return { kind: 'unreachable' }
    }
    if (response.status === 200 || response.status === 204) return { kind: 'ok' }
    if (response.status === 404) return { kind: 'refused', reason: RefusalReason.SpaceNotFound }
    if (response.status === 401 && response.headers.get(ERROR_FIELD_HEADER) === REVOKED_FIELD) return { kind: 'refused', reason: RefusalReason.Revoked }
    if (response.status === 401 && response.headers.get(ERROR_FIELD_HEADER) === ENDED_FIELD) return { kind: 'refused', reason: RefusalReason.Ended }
    const failure = failureOf(response.status)
    return isRefusal(failure) ? { kind: 'refused', reason: failure } : { kind: 'unreachable' }
  }

  /** The practice's device registry as the relay holds it: entries to verify (practice-devices.ts). */
  async getDeviceEntries(): Promise<unknown[]> {
    return (await this.getDevices()).entries
  }

  /**
   * The registry's entries (to verify) and when the relay last saw each device (its own
   * observation: nothing a device can check; malformed figures are dropped).
   */
  async getDevices(): Promise<{ entries: unknown[]; lastSeen: Map<string, number> }> {
    const response = await this.send(`${this.spaceUrl()}/devices`, { method: 'GET' })
    if (response.status !== 200) throw this.refusal(response, 'the device registry')
    const body = (await response.json().catch(() => null)) as { entries?: unknown; lastSeen?: unknown } | null
    if (!body || !Array.isArray(body.entries)) throw new RelayError(RelayFailure.Rejected, 'The relay answered the device registry with an unexpected shape', 200)
    const lastSeen = new Map<string, number>()
    if (typeof body.lastSeen === 'object' && body.lastSeen !== null) {
      for (const [id, at] of Object.entries(body.lastSeen)) if (Number.isSafeInteger(at) && (at as number) >= 0) lastSeen.set(id, at as number)
    }
    return { entries: body.entries, lastSeen }
  }

  /** Appends a signed registry entry; `conflict` when another administrator's entry took its place. */
  async postDeviceEntry(entry: unknown): Promise<'appended' | 'conflict'> {
    const response = await this.send(`${this.spaceUrl()}/devices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entry }),
    })
    if (response.status === 201) return 'appended'
    if (response.status === 409) return 'conflict'
    throw this.refusal(response, 'the device registry entry')
  }

  /**
   * The practice's key epochs published, and the seals addressed to this device
   * (relay/src/app/key-epochs.ts); each seal is opened, and so checked, by the caller.
   */
  async getKeyEpochs(): Promise<{ epochs: number[]; seals: Array<{ epoch: number; by: string; sealed: string }> }> {
    const response = await this.send(`${this.spaceUrl()}/epochs`, { method: 'GET' })
    if (response.status !== 200) throw this.refusal(response, 'the key epochs')
    const body = (await response.json().catch(() => null)) as { epochs?: unknown; seals?: unknown } | null
    const epochs = Array.isArray(body?.epochs) ? body.epochs.filter((e): e is number => Number.isSafeInteger(e)) : null
    const seals = Array.isArray(body?.seals) ? body.seals.filter(isSeal) : null
    if (epochs === null || seals === null) throw new RelayError(RelayFailure.Rejected, 'The relay answered the key epochs with an unexpected shape', 200)
    return { epochs, seals }
  }

  /** Publishes a signed key epoch entry; `conflict` when another administrator's came first or the registry moved. */
  async postKeyEpoch(entry: unknown): Promise<'published' | 'conflict'> {
    const response = await this.send(`${this.spaceUrl()}/epochs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entry }),
    })
    if (response.status === 201) return 'published'
    if (response.status === 409) return 'conflict'
    throw this.refusal(response, 'the key epoch entry')
  }

  /** The key grant addressed to this device (relay/src/app/key-grants.ts), unchecked: the caller opens, and so checks, it. */
  async getKeyGrant(): Promise<unknown> {
    const response = await this.send(`${this.spaceUrl()}/grant`, { method: 'GET' })
    if (response.status !== 200) throw this.refusal(response, 'the key grant')
    const body = (await response.json().catch(() => null)) as { grant?: unknown } | null
    if (body === null || typeof body !== 'object' || !('grant' in body)) throw new RelayError(RelayFailure.Rejected, 'The relay answered the key grant with an unexpected shape', 200)
    return body.grant ?? null
  }

  /** Sends a signed key grant, with the registry change that names it if any; `conflict` when the registry or the epochs moved. */
  async postKeyGrant(grant: unknown, change?: unknown): Promise<'stored' | 'conflict'> {
    const response = await this.send(`${this.spaceUrl()}/grants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entry: change === undefined ? { grant } : { grant, change } }),
    })
    if (response.status === 201) return 'stored'
    if (response.status === 409) return 'conflict'
    throw this.refusal(response, 'the key grant')
  }

  /** Stores an attachment's ciphertext; resolves once the relay has it (new or already there). */
  async putAttachment(hash: string, blob: Uint8Array): Promise<void> {
    const response = await this.send(this.attachmentUrl(hash), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: blob.slice().buffer,
    })
    if (response.status !== 200 && response.status !== 201) throw this.refusal(response, 'the attachment')
  }

  async getAttachment(hash: string): Promise<Uint8Array> {
    const response = await this.send(this.attachmentUrl(hash), { method: 'GET' })
    if (response.status !== 200) throw this.refusal(response, 'the attachment')
    return this.body(response)
  }

  /**
   * Publishes a digest in place of what this device expects the relay to hold: `created` or
   * `replaced` (with the new ETag) once the relay holds it; `stale` when the relay holds another
   * one (not an error: another device published meanwhile, look again).
   */
  async putDigest(name: DigestName, weight: number, blob: Uint8Array, expected: DigestExpectation): Promise<PutDigestOutcome> {
    if (!isDigestWeight(weight)) throw new RangeError(`A digest weight is a non-negative safe integer; got ${weight}`)
    const precondition: Record<string, string> = expected.kind === 'absent' ? { 'if-none-match': '*' } : { 'if-match': expected.etag }
    const response = await this.send(this.digestUrl(name), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', [DIGEST_WEIGHT_HEADER]: String(weight), ...precondition },
      body: blob.slice().buffer,
    })
    if (response.status === 201 || response.status === 200) {
      return { status: response.status === 201 ? 'created' : 'replaced', etag: etagOf(response) }
    }
    if (response.status === 412) return { status: 'stale' }
    throw this.refusal(response, `the ${name} digest`)
  }

  /** The stored digest, its ETag and claimed weight, or null when the space has none yet. */
  async getDigest(name: DigestName): Promise<(DigestHead & { blob: Uint8Array }) | null> {
    const response = await this.send(this.digestUrl(name), { method: 'GET' })
    if (isNoDigest(response)) return null
    if (response.status !== 200) throw this.refusal(response, `the ${name} digest`)
    const head = headOf(response)
    return { ...head, blob: await this.body(response) }
  }

  /** The stored digest's ETag and claimed weight (whether to look closer), or null when none. */
  async headDigest(name: DigestName): Promise<DigestHead | null> {
    const response = await this.send(this.digestUrl(name), { method: 'HEAD' })
    if (isNoDigest(response)) return null
    if (response.status !== 200) throw this.refusal(response, `the ${name} digest's weight`)
    return headOf(response)
  }

  private spaceUrl(): string {
    return new URL(`${Paths.spaces}/${encodeURIComponent(this.target.spaceId)}`, this.target.relayUrl).toString()
  }

  private attachmentUrl(hash: string): string {
    return `${this.spaceUrl()}/attachments/${encodeURIComponent(hash)}`
  }

  private digestUrl(name: DigestName): string {
    return `${this.spaceUrl()}/digests/${encodeURIComponent(name)}`
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    const fetchImpl = this.target.fetchImpl ?? fetch
    try {
      return await fetchImpl(url, {
        ...init,
        // Every route answers what the relay holds now: never a kept copy.
        cache: 'no-store',
        headers: { ...init.headers, authorization: `Bearer ${this.target.credential}` },
      })
    } catch (cause) {
      throw new RelayError(RelayFailure.Unreachable, `Relay unreachable at ${this.target.relayUrl}`, null, { cause })
    }
  }

  private async body(response: Response): Promise<Uint8Array> {
    try {
      return new Uint8Array(await response.arrayBuffer())
    } catch (cause) {
      throw new RelayError(RelayFailure.Unreachable, 'Connection lost while downloading', response.status, { cause })
    }
  }

  /** A failure naming the route, the status and, when the relay names one, the refused field. */
  private refusal(response: Response, what: string): RelayError {
    const field = response.headers.get(ERROR_FIELD_HEADER)
    // "No such space" is the only 404 that names a field (spaceId): a refusal, not a missing item.
    const failure = response.status === 404 && field === 'spaceId' ? RelayFailure.SpaceNotFound : failureOf(response.status)
    return new RelayError(failure, `The relay refused ${what} (${response.status}${field ? `, ${field}` : ''})`, response.status)
  }
}

function isSeal(value: unknown): value is { epoch: number; by: string; sealed: string } {
  const seal = value as { epoch?: unknown; by?: unknown; sealed?: unknown } | null
  return typeof seal === 'object' && seal !== null && Number.isSafeInteger(seal.epoch) && typeof seal.by === 'string' && typeof seal.sealed === 'string'
}

function isRefusal(failure: RelayFailure): failure is RefusalReason {
  return (Object.values(RefusalReason) as string[]).includes(failure)
}

/**
 * "No digest here": the relay's 204, or a 404 that is not about the space (a relay older than the
 * digest routes answers its generic 404; a 404 naming the space is a refusal).
 */
function isNoDigest(response: Response): boolean {
  return response.status === 204 || (response.status === 404 && response.headers.get(ERROR_FIELD_HEADER) !== 'spaceId')
}

function headOf(response: Response): DigestHead {
  const weight = weightOf(response)
  return { etag: etagOf(response), weight }
}

/** The relay's ETag of a digest, opaque to the device: it is only ever sent back in If-Match. */
function etagOf(response: Response): string {
  const etag = response.headers.get('etag')
  if (etag === null || !/^"[^"\s]{1,64}"$/.test(etag)) {
    throw new RelayError(RelayFailure.Rejected, `The relay answered a digest without a valid ETag (${etag ?? 'none'})`, response.status)
  }
  return etag
}

function weightOf(response: Response): number {
  const raw = response.headers.get(DIGEST_WEIGHT_HEADER)
  const weight = raw !== null && /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN
  if (!isDigestWeight(weight)) {
    throw new RelayError(RelayFailure.Rejected, `The relay answered without a valid ${DIGEST_WEIGHT_HEADER} (${raw ?? 'none'})`, response.status)
  }
  return weight
}
