/**
 * Space routes.
 *
 *   PUT /v1/spaces/:spaceId   Authorization: Bearer <credential>   [x-tournee-enrolment: <secret>]
 *     201 created · 200 already exists with this credential (a retried enrolment)
 *     409 exists with another credential · 400 malformed id or credential · 401/403 enrolment
 *   GET /v1/spaces/:spaceId   Authorization: Bearer <credential>
 *     204 credential right · 401 wrong · 404 unknown space
 *
 * The GET exists for the device after a refused upgrade: browsers hide the HTTP status of a failed
 * WebSocket upgrade, so this tells "my credential is refused" from "the relay is unreachable".
 */
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { ENROLMENT_HEADER } from '../../../shared/src/protocol/constants'
import { isSpaceId } from '../../../shared/src/protocol/ids'
import { parseBearer } from '../auth/bearer'
import { credentialMatches, hashCredential } from '../auth/credential'
import { checkEnrolment } from '../auth/enrolment'
import type { Logger } from '../log'
import type { RelayStorage } from '../storage/relay-storage'

export interface SpacesDeps {
  storage: RelayStorage
  logger: Logger
  enrolmentSecret: string | null
  maxHttpBodyBytes: number
}

/** Error body: `{ error, field? }`, the field naming what to fix. */
export type ErrorBody = { error: string; field?: string }

export type SpaceRequest = { ok: true; spaceId: string; credential: string } | { ok: false; error: ErrorBody }

/** The trust boundary of both routes: the space id in the path and the bearer credential. */
export function readSpaceRequest(c: Context): SpaceRequest {
  const spaceId = c.req.param('spaceId')
  if (spaceId === undefined || !isSpaceId(spaceId)) {
    return { ok: false, error: { error: 'spaceId must be 22 base64url characters', field: 'spaceId' } }
  }
  const credential = parseBearer(c.req.header('authorization'))
  if (credential === null) {
    return { ok: false, error: { error: 'Authorization must be "Bearer <43 base64url characters>"', field: 'authorization' } }
  }
  return { ok: true, spaceId, credential }
}

export function spacesRoutes(deps: SpacesDeps): Hono {
  const app = new Hono()

  app.put(
    '/:spaceId',
    bodyLimit({
      maxSize: deps.maxHttpBodyBytes,
      onError: (c) => c.json<ErrorBody>({ error: 'Request body too large' }, 413),
    }),
    async (c) => {
      const request = readSpaceRequest(c)
      if (!request.ok) return c.json<ErrorBody>(request.error, 400)
      const { spaceId, credential } = request
      const enrolment = checkEnrolment(deps.enrolmentSecret, c.req.header(ENROLMENT_HEADER))
      if (enrolment === 'missing') {
        return c.json<ErrorBody>({ error: 'This relay requires an enrolment secret', field: ENROLMENT_HEADER }, 401)
      }
      if (enrolment === 'wrong') {
        return c.json<ErrorBody>({ error: 'Wrong enrolment secret', field: ENROLMENT_HEADER }, 403)
      }
      const result = await deps.storage.createSpace(spaceId, hashCredential(credential))
      deps.logger.info('space_enrolled', { spaceId, status: result })
      if (result === 'created') return c.json({ spaceId, status: 'created' }, 201)
      if (result === 'exists') return c.json({ spaceId, status: 'exists' }, 200)
      return c.json<ErrorBody>({ error: 'This space already exists with another credential', field: 'spaceId' }, 409)
    },
  )

  app.get('/:spaceId', async (c) => {
    const request = readSpaceRequest(c)
    if (!request.ok) return c.json<ErrorBody>(request.error, 400)
    const { spaceId, credential } = request
    const storedHash = await deps.storage.getCredentialHash(spaceId)
    if (storedHash === null) return c.json<ErrorBody>({ error: 'Unknown space', field: 'spaceId' }, 404)
    if (!credentialMatches(credential, storedHash)) {
      return c.json<ErrorBody>({ error: 'Wrong credential for this space', field: 'authorization' }, 401)
    }
    return c.body(null, 204)
  })

  return app
}
