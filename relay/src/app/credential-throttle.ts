/**
 * Failed credentials on the space routes (/v1/spaces/…: probe, enrolment, attachments, digests),
 * per client address (perimeter/perimeter.ts). Around every route, whatever it checks:
 *
 *   before   the address has no failure left to spend → 429 + Retry-After, before any check,
 *            before the body is read
 *   after    the answer refused a credential → one failure for the address
 *
 * What counts as "refused a credential" is read from the answer, so every route of a space
 * counts alike without each one knowing about addresses:
 *
 *   401          wrong space credential, or enrolment secret missing
 *   403          wrong enrolment secret, or enrolment closed to this address
 *   409 on PUT /v1/spaces/:spaceId   the space exists under another credential: the same PUT with
 *                                    the right one answers 200, so a 409 is a wrong guess too
 *
 * A right credential costs nothing; a malformed request (400) or an unknown space (404) is not a
 * guess at a credential.
 */
import type { MiddlewareHandler } from 'hono'
import type { Perimeter } from '../perimeter/perimeter'
import { clientOf, tooManyRequests } from './request-client'

const SPACE_PATH = /^\/v1\/spaces\/[^/]+$/

export function refusedCredential(method: string, path: string, status: number): boolean {
  if (status === 401 || status === 403) return true
  return status === 409 && method === 'PUT' && SPACE_PATH.test(path)
}

export function credentialThrottle(perimeter: Perimeter): MiddlewareHandler {
  return async (c, next) => {
    const check = await perimeter.beforeCredential(clientOf(c, perimeter))
    if (!check.ok) return tooManyRequests(c, check)
    try {
      await next()
    } catch (error) {
      check.passed()
      throw error
    }
    if (refusedCredential(c.req.method, c.req.path, c.res.status)) await check.failed('http')
    else check.passed()
  }
}
