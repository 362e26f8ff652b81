/**
 * One connection of the pool held for a run of statements (a transaction, the schema's
 * migrations), and what happens when PostgreSQL ends it meanwhile: a restart, a failover, an
 * administrator's pg_terminate_backend, the network.
 *
 * pg-pool listens for 'error' on idle connections only. When the server ends a checked-out one,
 * the statement under way rejects (with the server's FATAL error, e.g. 57P01) and then, when the
 * socket closes, the client emits 'error' ("Connection terminated unexpectedly"). With no listener
 * that is thrown from the socket's close handler: an uncaught exception, the relay's process gone.
 * So the holder listens for as long as it holds the connection. A lost or discarded connection is
 * released with its error (the pool destroys it, never hands it out again) and keeps the listener,
 * since it may still emit.
 *
 * A run that failed on a lost connection rejects with PostgresConnectionLostError, which says
 * during what, its cause the driver's error; any other failure rejects as it was.
 */
import type pg from 'pg'

/** PostgreSQL ended a connection the relay was using (a restart, an administrator, the network). */
export class PostgresConnectionLostError extends Error {
  override name = 'PostgresConnectionLostError'
}

/** What a run may do with the connection it holds, beyond its statements. */
export interface HeldConnection {
  /** Never return this connection to the pool (a statement left its session in an unknown state). */
  discard(reason: Error): void
}

/**
 * SQLSTATEs of a session that the server ended: class 08 (connection exception) and 57P
 * (admin_shutdown, crash_shutdown, cannot_connect_now, database_dropped, idle_session_timeout).
 * 57014 (query_canceled) is of class 57 too, but leaves the session usable.
 */
function endsTheSession(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P'))
}

/** `run` on one connection of `pool`; `during` names the work in PostgresConnectionLostError. */
export async function withConnection<T>(pool: pg.Pool, during: string, run: (client: pg.PoolClient, held: HeldConnection) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  let lost: Error | undefined
  let discarded: Error | undefined
  const onError = (error: Error): void => {
    lost ??= error
  }
  client.on('error', onError)
  try {
    return await run(client, { discard: (reason) => (discarded ??= reason) })
  } catch (error) {
    if (lost === undefined && endsTheSession(error)) lost = error as Error
    if (lost === undefined) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw new PostgresConnectionLostError(`PostgreSQL ended the relay's connection while ${during} (${reason})`, { cause: error })
  } finally {
    const broken = lost ?? discarded
    if (broken === undefined) client.off('error', onError)
    client.release(broken)
  }
}
