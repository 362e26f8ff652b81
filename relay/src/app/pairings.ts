/**
 * The pairing mailbox's HTTP routes (protocol: shared/src/devices/pairing-wire.ts; state:
 * pairing/pairing-mailbox.ts, kept in storage: any node of a multi-node relay serves any route).
 *
 * The joining device's routes (/v1/pairings) come before it belongs to any space, so they carry no
 * credential: the 10-character code is the capability. A code that is unknown or expired counts
 * as a failed credential of the client's address (perimeter/perimeter.ts), so guessing codes is
 * throttled like guessing credentials (429 + Retry-After); opening pairings is bounded per address
 * and in all by the mailbox. The administrator's routes live under the space and its credential
 * (/v1/spaces/:spaceId/pairings/…), behind the same credential throttle as every space route.
 *
 * Bodies are small JSON, read under maxHttpBodyBytes and validated before anything is kept.
 * Nothing is logged but codes' fate and the space id: public keys identify nobody, and the
 * sealed blob is opaque to the relay.
 */
import { Hono, type Context } from 'hono'
import type { z } from 'zod'
import { ClaimPairingBody, OpenPairingBody, PAIRING_CODE_PATTERN, SealedPairingBody } from '../../../shared/src/devices/pairing-wire'
import type { Logger } from '../log'
import type { PairingMailbox, SealOutcome } from '../pairing/pairing-mailbox'
import type { Perimeter } from '../perimeter/perimeter'
import type { AccessStorage } from '../auth/space-access'
import { declaresMoreThan, readBoundedBody } from './bounded-body'
import { clientOf, tooManyRequests } from './request-client'
import { readSpaceRequest, refuseCredential, type ErrorBody } from './spaces'

export interface PairingsDeps {
  mailbox: PairingMailbox
  storage: AccessStorage
  perimeter: Perimeter
  logger: Logger
  maxBodyBytes: number
  /** The relay's clock: a locum's end of access is compared with it (tests inject « today »). */
  now?: () => number
}

type Read<T> = { ok: true; value: T } | { ok: false; response: Response }

/** Retry-After when the mailbox is full: a pairing ends within its ten minutes at most. */
const FULL_RETRY_AFTER_SECONDS = 60

async function readJson<S extends z.ZodType>(c: Context, schema: S, maxBytes: number): Promise<Read<z.infer<S>>> {
  if (declaresMoreThan(c.req.header('content-length'), maxBytes)) {
    return { ok: false, response: c.json<ErrorBody>({ error: `A pairing request is at most ${maxBytes} bytes`, field: 'body' }, 413) }
  }
  const bytes = await readBoundedBody(c.req.raw.body, maxBytes)
  if (bytes === 'too_large') return { ok: false, response: c.json<ErrorBody>({ error: `A pairing request is at most ${maxBytes} bytes`, field: 'body' }, 413) }
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    return { ok: false, response: c.json<ErrorBody>({ error: 'The body must be JSON', field: 'body' }, 400) }
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path.join('.') ?? 'body'
    return { ok: false, response: c.json<ErrorBody>({ error: `Invalid field ${path}`, field: path || 'body' }, 400) }
  }
  return { ok: true, value: parsed.data as z.infer<S> }
}

function readCode(c: Context): string | null {
  const code = c.req.param('code') ?? ''
  return PAIRING_CODE_PATTERN.test(code) ? code : null
}

/** /v1/pairings: the joining device's side. */
export function joiningPairingRoutes(deps: PairingsDeps): Hono {
  const app = new Hono()

  app.post('/', async (c) => {
    const body = await readJson(c, OpenPairingBody, deps.maxBodyBytes)
    if (!body.ok) return body.response
    const client = clientOf(c, deps.perimeter)
    const opened = await deps.mailbox.open(body.value.joining, client.key)
    if (!opened.ok) {
      deps.logger.warn('pairing_refused', { reason: opened.reason })
      const error = opened.reason === 'address_full' ? 'Too many pairings open from this address' : 'Too many pairings open on this relay'
      return c.json<ErrorBody>({ error, field: 'address' }, 429, { 'retry-after': String(FULL_RETRY_AFTER_SECONDS) })
    }
    deps.logger.info('pairing_opened', {})
    return c.json({ code: opened.code, expiresAt: opened.expiresAt }, 201)
  })

  /** GET and DELETE by code: unknown codes cost the address a failure, like a wrong credential. */
  const byCode = (handle: (c: Context, code: string) => Promise<Response>) => async (c: Context) => {
    const check = await deps.perimeter.beforeCredential(clientOf(c, deps.perimeter))
    if (!check.ok) return tooManyRequests(c, check)
    const code = readCode(c)
    let response: Response
    try {
      response = code === null ? c.json<ErrorBody>({ error: 'A pairing code is 10 characters of Crockford base32', field: 'code' }, 400) : await handle(c, code)
    } catch (error) {
      check.passed()
      throw error
    }
    if (response.status === 404) await check.failed('http')
    else check.passed()
    return response
  }

  app.get(
    '/:code',
    byCode(async (c, code) => {
      const state = await deps.mailbox.collect(code)
      if (state === null) return c.json<ErrorBody>({ error: 'Unknown or expired pairing code', field: 'code' }, 404)
      if (state.state === 'sealed') deps.logger.info('pairing_collected', {})
      // Polled every second or so: an intermediary must not answer from a cache.
      return c.json(state, 200, { 'cache-control': 'no-store' })
    }),
  )

  app.delete(
    '/:code',
    byCode(async (c, code) => ((await deps.mailbox.cancel(code)) ? c.body(null, 204) : c.json<ErrorBody>({ error: 'Unknown or expired pairing code', field: 'code' }, 404))),
  )

  return app
}

/** /v1/spaces/:spaceId/pairings/:code/…: an administrator's device of the space. */
export function adminPairingRoutes(deps: PairingsDeps): Hono {
  const app = new Hono()

  /** Space, credential and code, checked before the body is read. */
  const access = async (c: Context): Promise<Read<{ spaceId: string; code: string }>> => {
    const request = readSpaceRequest(c)
    if (!request.ok) return { ok: false, response: c.json<ErrorBody>(request.error, 400) }
    const refused = await refuseCredential(deps.storage, request, (deps.now ?? Date.now)())
    if (refused !== null) return { ok: false, response: c.json<ErrorBody>(refused.body, refused.status) }
    const code = readCode(c)
    if (code === null) return { ok: false, response: c.json<ErrorBody>({ error: 'A pairing code is 10 characters of Crockford base32', field: 'code' }, 400) }
    return { ok: true, value: { spaceId: request.spaceId, code } }
  }

  /** How a seal or a refusal that did not happen is answered: 404 expired, 409 not this practice's claim. */
  const settled = (c: Context, outcome: SealOutcome, spaceId: string, event: 'pairing_sealed' | 'pairing_refused_by_admin'): Response => {
    if (!outcome.ok) {
      if (outcome.reason === 'unknown') return c.json<ErrorBody>({ error: 'Unknown or expired pairing code', field: 'code' }, 404)
      return c.json<ErrorBody>({ error: 'This pairing was not claimed by this practice', field: 'code' }, 409)
    }
    deps.logger.info(event, { spaceId })
    return c.body(null, 204)
  }

  app.post('/:spaceId/pairings/:code/claim', async (c) => {
    const checked = await access(c)
    if (!checked.ok) return checked.response
    const body = await readJson(c, ClaimPairingBody, deps.maxBodyBytes)
    if (!body.ok) return body.response
    const { spaceId, code } = checked.value
    const claimed = await deps.mailbox.claim(code, spaceId, body.value.admin)
    // Every outcome is a 200 that says which: a code mistyped by a person is an ordinary answer,
    // and a browser logs every 4xx of a page as an error in its console (like the digests' 204).
    if (!claimed.ok) return c.json({ outcome: claimed.reason }, 200)
    deps.logger.info('pairing_claimed', { spaceId })
    return c.json({ outcome: 'claimed', joining: claimed.joining }, 200)
  })

  app.put('/:spaceId/pairings/:code/sealed', async (c) => {
    const checked = await access(c)
    if (!checked.ok) return checked.response
    const body = await readJson(c, SealedPairingBody, deps.maxBodyBytes)
    if (!body.ok) return body.response
    const { spaceId, code } = checked.value
    return settled(c, await deps.mailbox.seal(code, spaceId, body.value.sealed), spaceId, 'pairing_sealed')
  })

  app.delete('/:spaceId/pairings/:code', async (c) => {
    const checked = await access(c)
    if (!checked.ok) return checked.response
    const { spaceId, code } = checked.value
    return settled(c, await deps.mailbox.refuse(code, spaceId), spaceId, 'pairing_refused_by_admin')
  })

  return app
}
