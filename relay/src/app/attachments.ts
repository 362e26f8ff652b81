/**
 * Attachment routes: encrypted files (prescription scans, photos), content-addressed.
 *
 *   PUT /v1/spaces/:spaceId/attachments/:hash   Authorization: Bearer <credential>
 *       body: the ciphertext (application/octet-stream), ≤ maxAttachmentBytes
 *     201 stored · 200 already stored (idempotent retry) · 400 malformed id/hash/credential, or the
 *     body's SHA-256 is not :hash · 401 wrong credential · 404 unknown space · 413 too large ·
 *     507 {field:'quota'} the space holds as many attachments, or attachment bytes, as the relay
 *     allows (maxSpaceAttachments, maxSpaceAttachmentBytes): nothing stored
 *   GET /v1/spaces/:spaceId/attachments/:hash   Authorization: Bearer <credential>
 *     200 the ciphertext · 401 · 404 unknown space or attachment
 *
 * Both: 403 { field: 'role' } for a secretary's device (auth/role-access.ts). Attachments are the
 * clinical tier's: its device holds no key to open them, and the relay does not hand it the
 * ciphertext either. 401 { field: 'ended' } for a locum past its end date.
 *
 * :hash is the SHA-256 of the ciphertext in lower-case hex. The relay checks it while the body
 * streams in, so what it stores is exactly what the device addressed; it cannot read the bytes
 * (encrypted on the device) and never sees the file's name or type (they live in the encrypted
 * patient doc). The credential is checked before a byte of the body is read: a wrong one stores
 * nothing and costs nothing. The size limit is enforced from Content-Length when the client sends
 * one and, whatever it claims, while counting the streamed bytes: the relay never buffers more
 * than the limit.
 */
import { createHash } from 'node:crypto'
import { Hono, type Context } from 'hono'
import type { Logger } from '../log'
import type { AttachmentRefusalReason, RelayMetrics } from '../metrics/relay-metrics'
import { SpaceQuotaError, UnknownSpaceError, type AttachmentQuota, type RelayStorage } from '../storage/relay-storage'
import { declaresMoreThan, readBoundedBody } from './bounded-body'
import { checkSpaceAccess } from '../auth/space-access'
import { readsClinical, ROLE_FIELD } from '../auth/role-access'
import { readSpaceRequest, refusalOf, type ErrorBody } from './spaces'

export interface AttachmentsDeps {
  storage: RelayStorage
  metrics: RelayMetrics
  logger: Logger
  maxAttachmentBytes: number
  /** What one space may hold of attachments, all together. */
  quota: AttachmentQuota
  /** The relay's clock: a locum's end of access is compared with it (tests inject « today »). */
  now?: () => number
}

const HASH_PATTERN = /^[0-9a-f]{64}$/

type Access = { ok: true; spaceId: string; hash: string } | { ok: false; response: Response }

export function attachmentsRoutes(deps: AttachmentsDeps): Hono {
  const app = new Hono()

  const refuse = (c: Context, status: 400 | 401 | 403 | 404 | 413 | 507, reason: AttachmentRefusalReason, body: ErrorBody): Response => {
    deps.metrics.attachmentsRefused.inc({ reason })
    return c.json<ErrorBody>(body, status)
  }

  /** Path and credential, checked against storage: everything before the body is touched. */
  const checkAccess = async (c: Context): Promise<Access> => {
    const request = readSpaceRequest(c)
    if (!request.ok) return { ok: false, response: refuse(c, 400, 'bad_request', request.error) }
    const hash = c.req.param('hash') ?? ''
    if (!HASH_PATTERN.test(hash)) {
      return {
        ok: false,
        response: refuse(c, 400, 'bad_request', { error: 'hash must be the SHA-256 of the body in 64 lower-case hex digits', field: 'hash' }),
      }
    }
    const access = await checkSpaceAccess(deps.storage, request.spaceId, request.credential, (deps.now ?? Date.now)())
    if (!access.ok) {
      const refused = refusalOf(access)
      return { ok: false, response: refuse(c, refused.status, refused.reason, refused.body) }
    }
    if (!readsClinical(access.role)) {
      return { ok: false, response: refuse(c, 403, 'role', { error: 'Attachments are reserved to practitioners: this device’s role does not read them', field: ROLE_FIELD }) }
    }
    return { ok: true, spaceId: request.spaceId, hash }
  }

  app.put('/:spaceId/attachments/:hash', async (c) => {
    const access = await checkAccess(c)
    if (!access.ok) return access.response
    const tooLarge = () =>
      refuse(c, 413, 'too_large', { error: `An attachment is at most ${deps.maxAttachmentBytes} bytes`, field: 'body' })
    if (declaresMoreThan(c.req.header('content-length'), deps.maxAttachmentBytes)) return tooLarge()
    const hasher = createHash('sha256')
    const bytes = await readBoundedBody(c.req.raw.body, deps.maxAttachmentBytes, (chunk) => hasher.update(chunk))
    if (bytes === 'too_large') return tooLarge()
    if (hasher.digest('hex') !== access.hash) {
      return refuse(c, 400, 'hash_mismatch', { error: 'The body does not hash to the SHA-256 in the path', field: 'hash' })
    }
    let result
    try {
      result = await deps.storage.putAttachment(access.spaceId, access.hash, bytes, deps.quota)
    } catch (error) {
      // The space was checked above; it can only vanish if storage lost it meanwhile.
      if (error instanceof UnknownSpaceError) return refuse(c, 404, 'unknown_space', { error: 'Unknown space', field: 'spaceId' })
      if (error instanceof SpaceQuotaError) {
        deps.logger.warn('space_quota_reached', { spaceId: access.spaceId, reason: error.quota, bytes: error.used, limit: error.limit })
        return refuse(c, 507, 'quota', {
          error: `This space holds as many attachments as the relay allows (${error.quota}: ${error.used} of ${error.limit}): its operator can raise the quota`,
          field: 'quota',
        })
      }
      throw error
    }
    deps.metrics.attachmentsStored.inc({ result })
    if (result === 'created') deps.metrics.attachmentBytesStored.inc({}, bytes.byteLength)
    deps.logger.info('attachment_stored', { spaceId: access.spaceId, bytes: bytes.byteLength, status: result })
    return c.json({ hash: access.hash, status: result }, result === 'created' ? 201 : 200)
  })

  app.get('/:spaceId/attachments/:hash', async (c) => {
    const access = await checkAccess(c)
    if (!access.ok) return access.response
    const bytes = await deps.storage.getAttachment(access.spaceId, access.hash)
    if (bytes === null) return c.json<ErrorBody>({ error: 'No attachment with this hash in this space', field: 'hash' }, 404)
    deps.metrics.attachmentsServed.inc()
    return c.body(bytes.slice().buffer, 200, {
      'content-type': 'application/octet-stream',
      // Content-addressed: the bytes under a hash never change.
      'cache-control': 'private, max-age=31536000, immutable',
    })
  })

  return app
}
