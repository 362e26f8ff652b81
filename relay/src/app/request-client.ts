/**
 * The client of an HTTP request, for the per-address limits (perimeter/): the socket's peer from
 * @hono/node-server's binding, and the request's headers. A request made on the app directly,
 * inside the process (`app.request` in tests), has no socket: it is this process's own.
 */
import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import type { Client, ClientSource } from '../perimeter/client-address'
import type { Perimeter, Refused } from '../perimeter/perimeter'
import { describeRefusal } from '../perimeter/perimeter'

export function requestSource(c: Context): ClientSource {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  return { peer: incoming === undefined ? null : (incoming.socket?.remoteAddress ?? undefined), header: (name) => c.req.header(name) }
}

export function clientOf(c: Context, perimeter: Perimeter): Client {
  return perimeter.client(requestSource(c))
}

/** A refusal of the per-address limits as an HTTP answer: 429 with Retry-After. */
export function tooManyRequests(c: Context, refused: Refused): Response {
  return c.json({ error: describeRefusal(refused), field: 'address' }, 429, { 'retry-after': String(refused.retryAfterSeconds) })
}
