/**
 * The body of the routes that append a signed statement (the device registry, devices.ts; key
 * epochs, key-epochs.ts): `{ entry: { statement, sig } }`, JSON, at most `maxBytes` whatever the
 * client claims, its entry validated by the route's schema. Anything else is answered here: 413
 * over the limit, 400 naming the field otherwise.
 */
import type { Context } from 'hono'
import type { z } from 'zod'
import { declaresMoreThan, readBoundedBody } from './bounded-body'
import type { ErrorBody } from './spaces'

export type ReadSignedEntry<T> = { ok: true; entry: T } | { ok: false; response: Response }

/** `what`: how the 413 names the entry (« A registry entry », « An epoch entry »). */
export async function readSignedEntryBody<T>(c: Context, maxBytes: number, schema: z.ZodType<T>, what: string): Promise<ReadSignedEntry<T>> {
  const tooLarge = () => ({ ok: false as const, response: c.json<ErrorBody>({ error: `${what} is at most ${maxBytes} bytes`, field: 'body' }, 413) })
  if (declaresMoreThan(c.req.header('content-length'), maxBytes)) return tooLarge()
  const bytes = await readBoundedBody(c.req.raw.body, maxBytes)
  if (bytes === 'too_large') return tooLarge()
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    return { ok: false, response: c.json<ErrorBody>({ error: 'The body must be JSON', field: 'body' }, 400) }
  }
  const entry = schema.safeParse((json as { entry?: unknown } | null)?.entry)
  if (!entry.success) return { ok: false, response: c.json<ErrorBody>({ error: 'The body must be { entry: { statement, sig } }', field: 'entry' }, 400) }
  return { ok: true, entry: entry.data }
}
