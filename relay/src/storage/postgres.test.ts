import { afterAll, describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { adminQuery, freshDatabase } from '../../../tests/helpers/postgres-server'
import { MIGRATIONS, migratePostgres, POSTGRES_SCHEMA_VERSION } from './postgres-migrations'
import { PostgresConnectionLostError } from './postgres-checkout'
import { PostgresStorage, UnsafeSettingError } from './postgres-storage'
import { SchemaVersionError } from './schema-version-error'
import { storageContract } from './storage-contract'

const adminUrl = inject('postgresAdminUrl')
const pools: pg.Pool[] = []
afterAll(async () => {
  for (const pool of pools) await pool.end()
})

function poolOn(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  pools.push(pool)
  return pool
}

storageContract('PostgreSQL', {
  createLocation: () => freshDatabase(adminUrl, 'contract'),
  open: (url) => PostgresStorage.open({ url, poolSize: 4 }),
})

const SPACE = 'spaceAAAAAAAAAAAAAAAAA'
const ROOM = 'roomRRRRRRRRRRRRRRRRRR'
const HASH = new Uint8Array(32).fill(1)

/** Two relay nodes' storages on one database, with the space and room created. */
async function twoNodes(label: string): Promise<{ url: string; nodes: PostgresStorage[] }> {
  const url = await freshDatabase(adminUrl, label)
  const nodes = [await PostgresStorage.open({ url, poolSize: 4 }), await PostgresStorage.open({ url, poolSize: 4 })]
  await nodes[0]!.createSpace(SPACE, HASH)
  await nodes[0]!.admitRoom(SPACE, ROOM, 10)
  return { url, nodes }
}

/**
 * Errors thrown out of every handler from now until stop(): what would end a relay's process.
 * Vitest reports them too, but after the run and without the test's name.
 */
function recordUncaught(): { errors: unknown[]; stop(): void } {
  const errors: unknown[] = []
  const record = (error: unknown): void => {
    errors.push(error)
  }
  process.on('uncaughtException', record)
  process.on('unhandledRejection', record)
  return {
    errors,
    stop() {
      process.off('uncaughtException', record)
      process.off('unhandledRejection', record)
    },
  }
}

/** The pid of the one session of `database` waiting on a lock that `holder` does not hold. */
async function waitingBackend(database: string, holder: pg.Client): Promise<number> {
  const pool = poolOn(adminUrl)
  for (let tries = 0; tries < 200; tries++) {
    const { rows } = await pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> $2`,
      [database, (holder as unknown as { processID: number }).processID],
    )
    if (rows.length === 1) return rows[0]!.pid
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`No session of ${database} came to wait on a lock`)
}

describe('PostgresStorage specifics', () => {
  it('gives concurrent appends of two nodes to one room the seqs 1…n, without gaps, each to its own row', async () => {
    const { nodes } = await twoNodes('seqs')
    const appends = Array.from({ length: 60 }, (_, i) => ({ i, seq: nodes[i % 2]!.appendUpdate(SPACE, ROOM, new Uint8Array([i])) }))
    const seqs = await Promise.all(appends.map((a) => a.seq))
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))
    const loaded = await nodes[1]!.loadUpdates(SPACE, ROOM)
    expect(loaded.lastSeq).toBe(60)
    // The row at position seq − 1 is the update whose append resolved with that seq.
    appends.forEach(({ i }, k) => expect(loaded.updates[seqs[k]! - 1]).toEqual(new Uint8Array([i])))
    for (const node of nodes) await node.close()
  })

  it('leaves no gap where an append was refused: its seq goes to the next one', async () => {
    const { nodes } = await twoNodes('nogap')
    const [node] = nodes
    expect(await node!.appendUpdate(SPACE, ROOM, new Uint8Array(10), 15)).toBe(1)
    await expect(node!.appendUpdate(SPACE, ROOM, new Uint8Array(10), 15)).rejects.toMatchObject({ name: 'SpaceQuotaError' })
    expect(await node!.appendUpdate(SPACE, ROOM, new Uint8Array(1), 15)).toBe(2)
    for (const n of nodes) await n.close()
  })

  it('appends in one statement, and refuses an outcome of the append function it does not know', async () => {
    const { url, nodes } = await twoNodes('append_function')
    const [node] = nodes
    expect(await node!.appendUpdate(SPACE, ROOM, new Uint8Array([1, 2]))).toBe(1)
    // Another relay's schema answering something this one never wrote: refused, not taken for a seq.
    await poolOn(url).query(`
      CREATE OR REPLACE FUNCTION tournee_append_update(p_space TEXT, p_room TEXT, p_data BYTEA, p_max_bytes BIGINT)
      RETURNS TABLE (outcome TEXT, appended_seq BIGINT, used_bytes BIGINT) LANGUAGE sql AS $$ SELECT 'deferred'::TEXT, 7::BIGINT, 0::BIGINT $$`)
    await expect(node!.appendUpdate(SPACE, ROOM, new Uint8Array([3]))).rejects.toBeInstanceOf(SchemaVersionError)
    expect(await node!.loadUpdates(SPACE, ROOM)).toEqual({ updates: [new Uint8Array([1, 2])], lastSeq: 1 })
    for (const n of nodes) await n.close()
  })

  it('admits a known room without the space lock an append holds; a new room still waits for it', async () => {
    const { url, nodes } = await twoNodes('admit_known')
    const [node] = nodes
    // Another session holds the space's row as an append does (tournee_append_update), in a transaction left open.
    const holder = new pg.Client({ connectionString: url })
    await holder.connect()
    await holder.query('BEGIN')
    await holder.query('SELECT 1 FROM spaces WHERE space_id = $1 FOR UPDATE', [SPACE])
    try {
      expect(await node!.admitRoom(SPACE, ROOM, 10)).toBe('admitted')
      // The limit counts new rooms only: a known room is admitted even at it.
      expect(await node!.admitRoom(SPACE, ROOM, 1)).toBe('admitted')
      let settled = false
      const fresh = node!.admitRoom(SPACE, 'roomNNNNNNNNNNNNNNNNNN', 10).finally(() => (settled = true))
      await waitingBackend(new URL(url).pathname.slice(1), holder)
      expect(settled).toBe(false)
      await holder.query('COMMIT')
      expect(await fresh).toBe('admitted')
      expect(await nodes[1]!.admitRoom(SPACE, 'roomMMMMMMMMMMMMMMMMMM', 2)).toBe('limit')
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined)
      await holder.end()
      for (const n of nodes) await n.close()
    }
  })

  it('compacts atomically while another node appends: every row is either folded or kept', async () => {
    const { nodes } = await twoNodes('compact')
    for (let i = 0; i < 10; i++) await nodes[0]!.appendUpdate(SPACE, ROOM, new Uint8Array([i]))
    const racing = Array.from({ length: 10 }, (_, i) => nodes[1]!.appendUpdate(SPACE, ROOM, new Uint8Array([100 + i])))
    await nodes[0]!.compact(SPACE, ROOM, new Uint8Array([0, 0, 0]), 10)
    await Promise.all(racing)
    const loaded = await nodes[0]!.loadUpdates(SPACE, ROOM)
    expect(loaded.updates[0]).toEqual(new Uint8Array([0, 0, 0]))
    expect(loaded.updates.slice(1).map((u) => u[0]).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i))
    expect(loaded.lastSeq).toBe(20)
    expect((await nodes[1]!.spaceUsage(SPACE))?.envelopeBytes).toBe(3 + 10)
    for (const node of nodes) await node.close()
  })

  it('migrates once when several nodes start at once on an empty database', async () => {
    const url = await freshDatabase(adminUrl, 'concurrent_start')
    const nodes = await Promise.all(Array.from({ length: 4 }, () => PostgresStorage.open({ url, poolSize: 2 })))
    const { rows } = await poolOn(url).query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
    expect(rows.map((row) => row.version)).toEqual(Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1))
    for (const node of nodes) await node.close()
  })

  it('applies only the migrations a database lacks, each with its row', async () => {
    const url = await freshDatabase(adminUrl, 'versioned')
    const pool = poolOn(url)
    // A database of version 1, as the first PostgreSQL relay left it, takes the later steps (pairings, key grants…).
    expect(await migratePostgres(pool, MIGRATIONS.slice(0, 1))).toEqual([1])
    expect(await migratePostgres(pool)).toEqual(MIGRATIONS.map((_, i) => i + 1).slice(1))
    expect((await pool.query('SELECT COUNT(*) FROM pairings')).rowCount).toBe(1)
    expect((await pool.query('SELECT COUNT(*) FROM key_grants')).rowCount).toBe(1)
    const later = MIGRATIONS.length + 1
    const next = [...MIGRATIONS, { name: 'a later column', sql: 'ALTER TABLE spaces ADD COLUMN later TEXT' }]
    expect(await migratePostgres(pool, next)).toEqual([later])
    expect(await migratePostgres(pool, next)).toEqual([])
    // A migration that fails leaves its version unapplied, and the one before whole.
    const broken = [...next, { name: 'broken', sql: 'ALTER TABLE spaces ADD COLUMN x TEXT; SELECT * FROM no_such_table' }]
    await expect(migratePostgres(pool, broken)).rejects.toThrow(/no_such_table/)
    const { rows } = await pool.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM information_schema.columns WHERE table_name = 'spaces' AND column_name = 'x'")
    expect(rows[0]!.n).toBe(0)
    expect((await pool.query('SELECT version FROM schema_migrations')).rowCount).toBe(later)
  })

  it('refuses to start, changing nothing, on a schema newer than it knows', async () => {
    const url = await freshDatabase(adminUrl, 'newer')
    await (await PostgresStorage.open({ url })).close()
    const pool = poolOn(url)
    await pool.query("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from a newer relay')", [POSTGRES_SCHEMA_VERSION + 1])
    const opening = PostgresStorage.open({ url })
    await expect(opening).rejects.toBeInstanceOf(SchemaVersionError)
    await expect(opening).rejects.toThrow(/newer than this relay/)
    expect((await pool.query('SELECT version FROM schema_migrations')).rowCount).toBe(POSTGRES_SCHEMA_VERSION + 1)
  })

  it('refuses to open on a server that would not make commits durable (synchronous_commit=off)', async () => {
    const url = await freshDatabase(adminUrl, 'unsafe')
    const name = new URL(url).pathname.slice(1)
    await adminQuery(adminUrl, `ALTER DATABASE "${name}" SET synchronous_commit = off`)
    await expect(PostgresStorage.open({ url })).rejects.toBeInstanceOf(UnsafeSettingError)
  })

  it('rejects an append while PostgreSQL refuses connections, stores nothing of it, and works again after', async () => {
    const { url, nodes } = await twoNodes('refused')
    const [node] = nodes
    expect(await node!.appendUpdate(SPACE, ROOM, new Uint8Array([1]))).toBe(1)
    const name = new URL(url).pathname.slice(1)
    await adminQuery(adminUrl, `ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`)
    await adminQuery(adminUrl, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`)
    await expect(node!.appendUpdate(SPACE, ROOM, new Uint8Array([2]))).rejects.toThrow()
    await adminQuery(adminUrl, `ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`)
    expect(await node!.loadUpdates(SPACE, ROOM)).toEqual({ updates: [new Uint8Array([1])], lastSeq: 1 })
    expect(await node!.appendUpdate(SPACE, ROOM, new Uint8Array([3]))).toBe(2)
    for (const n of nodes) await n.close()
  })

  it('refuses to start with a named error, the process living on, when PostgreSQL ends the migrating connection', async () => {
    // pg emits 'error' on a checked-out client whose server connection ends, after the query under
    // way has rejected: with no listener on the migrating client, that 'error' is thrown from the
    // socket's 'end' handler, an uncaught exception that ended the node instead of a startup error.
    // Vitest fails the run on it too; the process listener makes this test fail by name.
    const uncaught = recordUncaught()
    try {
      // A node restarting on a database already migrated: its start reads schema_migrations while
      // another session holds that table, so the start waits there, holding the migration lock.
      const url = await freshDatabase(adminUrl, 'migration_lost')
      await (await PostgresStorage.open({ url, poolSize: 2 })).close()
      const name = new URL(url).pathname.slice(1)
      const holder = new pg.Client({ connectionString: url })
      await holder.connect()
      await holder.query('BEGIN')
      await holder.query('LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE')
      const opening = PostgresStorage.open({ url, poolSize: 2 })
      opening.catch(() => undefined)
      const pid = await waitingBackend(name, holder)
      await adminQuery(adminUrl, `SELECT pg_terminate_backend(${pid})`)
      await expect(opening).rejects.toBeInstanceOf(PostgresConnectionLostError)
      await expect(opening).rejects.toThrow(/while migrating the schema/)
      // The start rejects once its unlock has failed, which is when the socket has closed: by
      // then pg has emitted its 'error', thrown or not.
      expect(uncaught.errors).toEqual([])
      await holder.query('ROLLBACK')
      await holder.end()
      // Started again, it starts.
      await (await PostgresStorage.open({ url, poolSize: 2 })).close()
    } finally {
      uncaught.stop()
    }
  })

  it('fails a room read (a binary COPY) that the server cancels or whose connection it ends, and reads on the same pool after', async () => {
    // The read is a COPY that pg's client drives through postgres-copy-rows.ts, not pg's Query:
    // a server error (ErrorResponse, then ReadyForQuery) must leave its connection usable, and a
    // lost connection must reject, named, without an uncaught error.
    const uncaught = recordUncaught()
    try {
      const url = await freshDatabase(adminUrl, 'copy_read')
      const name = new URL(url).pathname.slice(1)
      // One connection: the read after a failed one runs on the connection it left, if it left one.
      const node = await PostgresStorage.open({ url, poolSize: 1 })
      await node.createSpace(SPACE, HASH)
      await node.admitRoom(SPACE, ROOM, 10)
      await node.appendUpdate(SPACE, ROOM, new Uint8Array([1, 2, 3]))
      const holder = new pg.Client({ connectionString: url })
      await holder.connect()
      // The read in a box: an async function returning the promise itself would await it.
      const readWhileLocked = async (end: (pid: number) => string): Promise<{ read: Promise<unknown> }> => {
        await holder.query('BEGIN')
        await holder.query('LOCK TABLE updates IN ACCESS EXCLUSIVE MODE')
        const read = node.loadUpdates(SPACE, ROOM)
        read.catch(() => undefined)
        await adminQuery(adminUrl, end(await waitingBackend(name, holder)))
        await holder.query('ROLLBACK')
        return { read }
      }
      await expect((await readWhileLocked((pid) => `SELECT pg_cancel_backend(${pid})`)).read).rejects.toMatchObject({ code: '57014' })
      expect(await node.loadUpdates(SPACE, ROOM)).toEqual({ updates: [new Uint8Array([1, 2, 3])], lastSeq: 1 })
      await expect((await readWhileLocked((pid) => `SELECT pg_terminate_backend(${pid})`)).read).rejects.toBeInstanceOf(PostgresConnectionLostError)
      expect(await node.loadUpdates(SPACE, ROOM)).toEqual({ updates: [new Uint8Array([1, 2, 3])], lastSeq: 1 })
      expect(uncaught.errors).toEqual([])
      await holder.end()
      await node.close()
    } finally {
      uncaught.stop()
    }
  })

  it('survives its connection being ended in the middle of a transaction (a restart, an administrator): the append fails, the process lives on', async () => {
    // pg emits 'error' on a checked-out client whose server connection ends; with no listener
    // that ended the relay's process (issue 22: a node gone for good after PostgreSQL refused).
    const { url, nodes } = await twoNodes('terminated')
    const [node] = nodes
    const name = new URL(url).pathname.slice(1)
    // Another session holds the space's row: the append's transaction waits on it, checked out.
    const holder = new pg.Client({ connectionString: url })
    await holder.connect()
    await holder.query('BEGIN')
    await holder.query('SELECT 1 FROM spaces WHERE space_id = $1 FOR UPDATE', [SPACE])
    const append = node!.appendUpdate(SPACE, ROOM, new Uint8Array([1]))
    const waiting = async (): Promise<number[]> => {
      const pool = poolOn(adminUrl)
      const { rows } = await pool.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> $2`,
        [name, (holder as unknown as { processID: number }).processID],
      )
      return rows.map((row) => row.pid)
    }
    let pids: number[] = []
    for (let tries = 0; pids.length === 0 && tries < 200; tries++) {
      pids = await waiting()
      if (pids.length === 0) await new Promise((resolve) => setTimeout(resolve, 25))
    }
    expect(pids).toHaveLength(1)
    await adminQuery(adminUrl, `SELECT pg_terminate_backend(${pids[0]})`)
    await expect(append).rejects.toThrow()
    await holder.query('ROLLBACK')
    await holder.end()
    // Still serving, on a fresh connection; the failed append stored nothing.
    expect(await node!.appendUpdate(SPACE, ROOM, new Uint8Array([2]))).toBe(1)
    expect(await node!.loadUpdates(SPACE, ROOM)).toEqual({ updates: [new Uint8Array([2])], lastSeq: 1 })
    for (const n of nodes) await n.close()
  })
})
