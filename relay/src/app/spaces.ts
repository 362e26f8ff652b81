/**
 * Space routes.
 *
 *   PUT /v1/spaces/:spaceId   Authorization: Bearer <credential>   [x-tournee-enrolment: <secret>]
 *     201 created · 200 already exists with this credential (a retried enrolment)
 *     409 exists with another credential · 400 malformed id or credential · 401/403 enrolment
 *     (auth/enrolment.ts: secret missing, wrong, or creation closed to clients beyond this machine)
 *     429 + Retry-After: this address created spaces too fast (perimeter/perimeter.ts)
 *   GET /v1/spaces/:spaceId   Authorization: Bearer <credential>
 *     204 credential right · 401 wrong · 404 unknown space
 *
 * The GET exists for the device after a refused upgrade: browsers hide the HTTP status of a failed
 * WebSocket upgrade, so this tells "my credential is refused" from "the relay is unreachable".
 */
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { ENDED_FIELD, ENROLMENT_HEADER, ERROR_FIELD_HEADER, REVOKED_FIELD } from '../../../shared/src/protocol/constants'
import { isSpaceId } from '../../../shared/src/protocol/ids'
import { parseBearer } from '../auth/bearer'
import { hashCredential } from '../auth/credential'
import { checkSpaceAccess, type AccessStorage, type SpaceAccess } from '../auth/space-access'
import { checkEnrolment, type EnrolmentPolicy } from '../auth/enrolment'
import type { Logger } from '../log'
import { PerimeterRefusal, type Perimeter } from '../perimeter/perimeter'
import type { RelayStorage } from '../storage/relay-storage'
import { clientOf, tooManyRequests } from './request-client'

export interface SpacesDeps {
  storage: RelayStorage
  logger: Logger
  enrolment: EnrolmentPolicy
  perimeter: Perimeter
  maxHttpBodyBytes: number
  /** The relay's clock: a locum's end of access is compared with it (tests inject « today »). */
  now?: () => number
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

/** Why a space's credential was refused: its HTTP status, the metrics' reason, the error body. */
export type CredentialRefusal =
  | { status: 404; reason: 'unknown_space'; body: ErrorBody }
  | { status: 401; reason: 'credential' | 'revoked' | 'ended'; body: ErrorBody }

/**
 * The bearer credential checked for the space (auth/space-access.ts), for every route of a space
 * (probe, attachments, digests, pairings, devices): null when it opens it, else the refusal to send.
 */
export async function refuseCredential(storage: AccessStorage, request: { spaceId: string; credential: string }, now: number): Promise<CredentialRefusal | null> {
  const access = await checkSpaceAccess(storage, request.spaceId, request.credential, now)
  return access.ok ? null : refusalOf(access)
}

/** A request whose path and credential open the space: who asks, or the refusal ready to send. */
export type SpaceAdmission =
  | { ok: true; spaceId: string; access: Extract<SpaceAccess, { ok: true }> }
  | { ok: false; response: Response }

/**
 * The prologue of a space's route: the path and bearer read (400), then the credential checked
 * (401/404, refusalOf), before anything of the body is read.
 */
export async function admitSpaceRequest(c: Context, storage: AccessStorage, now: number): Promise<SpaceAdmission> {
  const request = readSpaceRequest(c)
  if (!request.ok) return { ok: false, response: c.json<ErrorBody>(request.error, 400) }
  const access = await checkSpaceAccess(storage, request.spaceId, request.credential, now)
  if (!access.ok) {
    const refused = refusalOf(access)
    return { ok: false, response: c.json<ErrorBody>(refused.body, refused.status) }
  }
  return { ok: true, spaceId: request.spaceId, access }
}

/** The answer to a credential checkSpaceAccess refused. */
export function refusalOf(access: Extract<SpaceAccess, { ok: false }>): CredentialRefusal {
  if (access.reason === 'unknown_space') return { status: 404, reason: 'unknown_space', body: { error: 'Unknown space', field: 'spaceId' } }
  if (access.reason === 'revoked') return { status: 401, reason: 'revoked', body: { error: 'This device was revoked from the practice', field: REVOKED_FIELD } }
  if (access.reason === 'ended') return { status: 401, reason: 'ended', body: { error: "This locum's access to the practice has ended", field: ENDED_FIELD } }
  return { status: 401, reason: 'credential', body: { error: 'Wrong credential for this space', field: 'authorization' } }
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
      const client = clientOf(c, deps.perimeter)
      const enrolment = checkEnrolment(deps.enrolment, c.req.header(ENROLMENT_HEADER), client.local)
      if (enrolment === 'missing') {
        return c.json<ErrorBody>({ error: 'This relay requires an enrolment secret', field: ENROLMENT_HEADER }, 401)
      }
      if (enrolment === 'wrong') {
        return c.json<ErrorBody>({ error: 'Wrong enrolment secret', field: ENROLMENT_HEADER }, 403)
      }
      if (enrolment === 'closed') {
        deps.perimeter.refused(client, PerimeterRefusal.EnrolmentClosed)
        return c.json<ErrorBody>(
          {
            error:
              'This relay creates practices only from its own machine: its operator sets TOURNEE_ENROLMENT_SECRET (and gives you the secret) or TOURNEE_OPEN_ENROLMENT=1',
            field: ENROLMENT_HEADER,
          },
          403,
        )
      }
      const creation = await deps.perimeter.reserveSpaceCreation(client)
      if (!creation.ok) return tooManyRequests(c, creation)
      let result
      try {
        result = await deps.storage.createSpace(spaceId, hashCredential(credential))
      } finally {
        // Only a space actually created spends the address's allowance: a retry finds it there.
        if (result !== 'created') creation.release()
      }
      deps.logger.info('space_enrolled', { spaceId, status: result })
      if (result === 'created') return c.json({ spaceId, status: 'created' }, 201)
      if (result === 'exists') return c.json({ spaceId, status: 'exists' }, 200)
      return c.json<ErrorBody>({ error: 'This space already exists with another credential', field: 'spaceId' }, 409)
    },
  )

  app.get('/:spaceId', async (c) => {
    const request = readSpaceRequest(c)
    if (!request.ok) return c.json<ErrorBody>(request.error, 400)
    const refused = await refuseCredential(deps.storage, request, (deps.now ?? Date.now)())
    // The field in a header too: a device probes with this route to learn why its sockets fail.
    if (refused !== null) return c.json<ErrorBody>(refused.body, refused.status, { [ERROR_FIELD_HEADER]: refused.body.field ?? '' })
    return c.body(null, 204)
  })

  return app
}
