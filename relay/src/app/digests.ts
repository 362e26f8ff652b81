/**
 * Digest routes: per space and name, one encrypted read-only snapshot of docs (the directory; this
 * week and the next), which a fresh device fetches first to show its screens before the docs have synced.
 *
 *   PUT  /v1/spaces/:spaceId/digests/:name   Authorization: Bearer <credential>
 *        X-Tournee-Digest-Weight: <non-negative safe integer>
 *        If-None-Match: *  (none stored yet)  or  If-Match: "<version read>"
 *        body: the ciphertext, ≤ maxDigestBytes
 *     201 {status:'created'} · 200 {status:'replaced'}, both with the new ETag
 *     412 {error, field:'if-match'} the stored digest is not the one the device read: nothing
 *         stored; the stored one's ETag and weight in the headers (none: no digest stored)
 *     428 no precondition · 400 malformed id / name / weight / precondition / credential, or a
 *     body shorter than an IV and a tag · 401 wrong credential · 404 unknown space · 413 too large
 *   GET  /v1/spaces/:spaceId/digests/:name   Authorization: Bearer <credential>
 *     200 the ciphertext, ETag and X-Tournee-Digest-Weight · 204 none yet · 401 · 404 space
 *   HEAD same path: the same answer without a body, and without reading the blob from storage
 *
 * "None yet" is 204, not 404: it is the normal answer for a new practice, and a browser logs every
 * 4xx response of a page as an error in its console.
 * Every refusal is a JSON `{ error, field }` whose field is also sent as X-Tournee-Error-Field,
 * so a HEAD (no body) still tells a refusal's cause.
 *
 * Replacement is compare-and-swap on what the device read, not a weight: the relay cannot check a
 * weight against ciphertext, and keeping "the heaviest" let anyone holding the credential pin a
 * digest of weight 2^53 − 1 and random bytes that no honest device could ever replace (issue 18,
 * attack 7). The weight is still stored and served: it is bound in the blob's associated data
 * (shared/src/digest/digest-cipher.ts), so a device that opens the blob knows it, and a device
 * that cannot open it, or finds that it covers less than its own docs, replaces it
 * (client/src/sync/digests/digest-sync.ts).
 *
 * Like attachments, the credential is checked before a byte of the body is read, and the size
 * limit from Content-Length and while the body streams. A PUT whose precondition already fails is
 * refused before its body is read too; the storage compares again, atomically with the write, for
 * publications that race.
 */
import { Hono, type Context } from 'hono'
import { DIGEST_MIN_BYTES, DIGEST_NAMES, isDigestName, type DigestName } from '../../../shared/src/digest/digest-cipher'
import { DIGEST_WEIGHT_HEADER, ERROR_FIELD_HEADER } from '../../../shared/src/protocol/constants'
import type { Logger } from '../log'
import type { DigestRefusalReason, RelayMetrics } from '../metrics/relay-metrics'
import { digestPreconditionHolds, UnknownSpaceError, type DigestHead, type RelayStorage } from '../storage/relay-storage'
import { declaresMoreThan, readBoundedBody } from './bounded-body'
import { digestEtag, readDigestPrecondition } from './digest-precondition'
import { readSpaceRequest, refuseCredential, type ErrorBody } from './spaces'

export interface DigestsDeps {
  storage: RelayStorage
  metrics: RelayMetrics
  logger: Logger
  maxDigestBytes: number
  /** The relay's clock: a locum's end of access is compared with it (tests inject « today »). */
  now?: () => number
}

type Access = { ok: true; spaceId: string; name: DigestName } | { ok: false; response: Response }

const WEIGHT_PATTERN = /^\d{1,16}$/

/** The weight header of a PUT: a non-negative safe integer in decimal digits, or null. */
export function parseDigestWeight(raw: string | undefined): number | null {
  if (raw === undefined || !WEIGHT_PATTERN.test(raw)) return null
  const weight = Number(raw)
  return Number.isSafeInteger(weight) ? weight : null
}

export function digestsRoutes(deps: DigestsDeps): Hono {
  const app = new Hono()

  const errorResponse = (c: Context, status: 400 | 401 | 404 | 412 | 413 | 428, body: ErrorBody, headers: Record<string, string> = {}) =>
    c.json(body, status, body.field === undefined ? headers : { ...headers, [ERROR_FIELD_HEADER]: body.field })

  const refuse = (c: Context, status: 400 | 401 | 404 | 413 | 428, reason: DigestRefusalReason, body: ErrorBody): Response => {
    deps.metrics.digestsRefused.inc({ reason })
    return errorResponse(c, status, body)
  }

  /** 412: the device did not read what is stored now; it learns what is, to look at it first. */
  const refuseOutdated = (c: Context, spaceId: string, name: DigestName, weight: number, current: DigestHead | null): Response => {
    deps.metrics.digestsRefused.inc({ reason: 'precondition_failed' })
    deps.logger.info('digest_refused', { spaceId, digest: name, weight, storedWeight: current?.weight ?? null, status: 'precondition_failed' })
    const body: ErrorBody = {
      error:
        current === null
          ? `This space has no ${name} digest: publish with If-None-Match: *`
          : `This space's ${name} digest changed since it was read: read it again (ETag ${digestEtag(current.version)})`,
      field: 'if-match',
    }
    return errorResponse(c, 412, body, current === null ? {} : headOf(current))
  }

  /** Path and credential, checked against storage: everything before the body is touched. */
  const checkAccess = async (c: Context): Promise<Access> => {
    const request = readSpaceRequest(c)
    if (!request.ok) return { ok: false, response: refuse(c, 400, 'bad_request', request.error) }
    const name = c.req.param('name')
    if (!isDigestName(name)) {
      return { ok: false, response: refuse(c, 400, 'bad_request', { error: `name must be one of: ${DIGEST_NAMES.join(', ')}`, field: 'name' }) }
    }
    const refused = await refuseCredential(deps.storage, request, (deps.now ?? Date.now)())
    if (refused !== null) return { ok: false, response: refuse(c, refused.status, refused.reason, refused.body) }
    return { ok: true, spaceId: request.spaceId, name }
  }

  app.put('/:spaceId/digests/:name', async (c) => {
    // Malformed requests are refused before storage is asked anything, like a malformed path.
    const weight = parseDigestWeight(c.req.header(DIGEST_WEIGHT_HEADER))
    if (weight === null) {
      return refuse(c, 400, 'bad_request', {
        error: `${DIGEST_WEIGHT_HEADER} must be a non-negative whole number (at most ${Number.MAX_SAFE_INTEGER})`,
        field: 'weight',
      })
    }
    const reading = readDigestPrecondition(c.req.header('if-match'), c.req.header('if-none-match'))
    if (!reading.ok) {
      return refuse(c, reading.status, reading.status === 428 ? 'precondition_required' : 'bad_request', { error: reading.error, field: reading.field })
    }
    const access = await checkAccess(c)
    if (!access.ok) return access.response
    const { spaceId, name } = access
    const tooLarge = () => refuse(c, 413, 'too_large', { error: `A digest is at most ${deps.maxDigestBytes} bytes`, field: 'body' })
    if (declaresMoreThan(c.req.header('content-length'), deps.maxDigestBytes)) return tooLarge()
    const current = await deps.storage.getDigestHead(spaceId, name)
    if (!digestPreconditionHolds(reading.precondition, current)) return refuseOutdated(c, spaceId, name, weight, current)
    const bytes = await readBoundedBody(c.req.raw.body, deps.maxDigestBytes)
    if (bytes === 'too_large') return tooLarge()
    // Opaque, but never shorter than an IV and a tag: an empty or truncated upload (a device's
    // bug) must not replace a digest the others can open.
    if (bytes.byteLength < DIGEST_MIN_BYTES) {
      return refuse(c, 400, 'bad_request', { error: `A digest is at least ${DIGEST_MIN_BYTES} bytes of ciphertext`, field: 'body' })
    }
    let result
    try {
      result = await deps.storage.putDigest(spaceId, name, weight, bytes, reading.precondition)
    } catch (error) {
      // The space was checked above; it can only vanish if storage lost it meanwhile.
      if (error instanceof UnknownSpaceError) return refuse(c, 404, 'unknown_space', { error: 'Unknown space', field: 'spaceId' })
      throw error
    }
    if (result.status === 'precondition-failed') return refuseOutdated(c, spaceId, name, weight, result.current)
    deps.metrics.digestsStored.inc({ result: result.status })
    deps.metrics.digestBytesStored.inc({}, bytes.byteLength)
    deps.logger.info('digest_stored', { spaceId, digest: name, bytes: bytes.byteLength, weight, status: result.status })
    return c.json({ status: result.status }, result.status === 'created' ? 201 : 200, { etag: digestEtag(result.version) })
  })

  // Hono answers a HEAD with this GET handler and drops the body; the handler reads only the
  // ETag and weight then, not the blob (megabytes) it would throw away.
  app.get('/:spaceId/digests/:name', async (c) => {
    const access = await checkAccess(c)
    if (!access.ok) return access.response
    const { spaceId, name } = access
    const none = () => c.body(null, 204, { 'cache-control': 'no-store' })
    const headers = (head: DigestHead) => ({
      'content-type': 'application/octet-stream',
      ...headOf(head),
      // Replaced as the practice changes: never serve a kept copy.
      'cache-control': 'no-store',
    })
    if (c.req.method === 'HEAD') {
      const head = await deps.storage.getDigestHead(spaceId, name)
      return head === null ? none() : c.body(null, 200, headers(head))
    }
    const digest = await deps.storage.getDigest(spaceId, name)
    if (digest === null) return none()
    deps.metrics.digestsServed.inc()
    return c.body(digest.data.slice().buffer, 200, headers(digest))
  })

  return app
}

/** What a device reads of a stored digest besides its bytes: the version it would replace, the claimed weight. */
function headOf(head: DigestHead): Record<string, string> {
  return { etag: digestEtag(head.version), [DIGEST_WEIGHT_HEADER]: String(head.weight) }
}
