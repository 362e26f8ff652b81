/**
 * The PostgreSQL schema of the relay, as versioned migrations that the relay applies at start.
 *
 *   schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TIMESTAMPTZ): one row
 *                per migration applied, written in that migration's transaction
 *
 * Each MIGRATIONS[i] takes the database from version i to i + 1, in one transaction with its row
 * in schema_migrations, so a crash mid-migration leaves the previous version whole. A database
 * whose newest version is beyond the last this relay knows was migrated by a newer relay: this one
 * refuses to start (SchemaVersionError) and leaves it untouched, rather than write rows the newer
 * schema may not expect.
 *
 * Several nodes starting at once: the whole check-and-apply runs under one session-level advisory
 * lock (MIGRATION_LOCK), so one node migrates while the others wait, then find nothing left to do.
 *
 * Version 1 holds what the SQLite storage holds at its schema 6 (sqlite-storage.ts), with one
 * difference: each room's row carries its log's head (`head_seq`), the seq of its last append.
 * An append takes the next seq by updating that row, which locks it until commit, so two appends
 * to a room serialise on it, their seqs follow commit order, and a rolled-back append takes its seq
 * back with it: no gaps, no reordering (a SEQUENCE would hand out numbers that commit out of order,
 * so a node reading `seq > n` could miss a row committed late under a lower seq).
 * Version 2 holds the open pairings (SQLite schema 7, pairing-rows.ts).
 * The usage counters of `spaces` are kept by the statements that write rows, in their
 * transactions, under the space row's lock (postgres-storage.ts says in which order locks go).
 * Version 3 adds `key_grants`, as SQLite's schema 8 (issue 19: a secretary upgraded, a device
 * re-granted its keys; shared/src/devices/key-grant.ts). Version 4 adds `tournee_append_update`:
 * an append in one statement, one round trip instead of six (postgres-storage.ts).
 */
import type pg from 'pg'
import { withConnection } from './postgres-checkout'
import { SchemaVersionError } from './schema-version-error'

export interface Migration {
  readonly name: string
  readonly sql: string
}

/** Key of the advisory lock held while migrating ('tournee' in ASCII): any constant, the same on every node. */
export const MIGRATION_LOCK = '32772479329052005'

/** Key of the transaction-level advisory lock under which pairings are counted and opened. */
export const PAIRING_OPEN_LOCK = '32772479329052006'

export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'relay storage as of SQLite schema 6, with a head row per room',
    sql: `
      CREATE TABLE spaces (
        space_id TEXT PRIMARY KEY,
        credential_hash BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        envelope_bytes BIGINT NOT NULL DEFAULT 0,
        attachment_count BIGINT NOT NULL DEFAULT 0,
        attachment_bytes BIGINT NOT NULL DEFAULT 0
      );
      CREATE TABLE rooms (
        space_id TEXT NOT NULL REFERENCES spaces(space_id),
        room_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        head_seq BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (space_id, room_id)
      );
      CREATE TABLE updates (
        space_id TEXT NOT NULL,
        room_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        data BYTEA NOT NULL,
        PRIMARY KEY (space_id, room_id, seq),
        FOREIGN KEY (space_id, room_id) REFERENCES rooms(space_id, room_id)
      );
      CREATE TABLE attachments (
        space_id TEXT NOT NULL REFERENCES spaces(space_id),
        hash TEXT NOT NULL,
        data BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (space_id, hash)
      );
      CREATE TABLE digests (
        space_id TEXT NOT NULL REFERENCES spaces(space_id),
        name TEXT NOT NULL,
        weight BIGINT NOT NULL,
        data BYTEA NOT NULL,
        updated_at BIGINT NOT NULL,
        version BIGINT NOT NULL DEFAULT 1,
        PRIMARY KEY (space_id, name)
      );
      CREATE TABLE device_entries (
        space_id TEXT NOT NULL REFERENCES spaces(space_id),
        seq INTEGER NOT NULL,
        entry TEXT NOT NULL,
        PRIMARY KEY (space_id, seq)
      );
      CREATE TABLE devices (
        space_id TEXT NOT NULL REFERENCES spaces(space_id),
        device_id TEXT NOT NULL,
        credential_hash BYTEA NOT NULL,
        added_at BIGINT NOT NULL,
        revoked_at BIGINT,
        last_seen_at BIGINT,
        role TEXT NOT NULL CHECK (role IN ('praticien', 'secretariat', 'remplacant')),
        until_at BIGINT,
        PRIMARY KEY (space_id, device_id),
        UNIQUE (space_id, credential_hash)
      );
      CREATE TABLE key_epochs (
        space_id TEXT NOT NULL REFERENCES spaces(space_id),
        epoch INTEGER NOT NULL,
        entry TEXT NOT NULL,
        PRIMARY KEY (space_id, epoch)
      );
      CREATE TABLE epoch_seals (
        space_id TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        device_id TEXT NOT NULL,
        by_device TEXT NOT NULL,
        sealed TEXT NOT NULL,
        PRIMARY KEY (space_id, epoch, device_id),
        FOREIGN KEY (space_id, epoch) REFERENCES key_epochs(space_id, epoch)
      );
      CREATE INDEX epoch_seals_by_device ON epoch_seals(space_id, device_id, epoch);
    `,
  },
  {
    // Until then in each node's memory: a pairing opened on one node was unknown to the others.
    name: 'open pairings, as SQLite schema 7',
    sql: `
      CREATE TABLE pairings (
        code TEXT PRIMARY KEY,
        joining_agree TEXT NOT NULL,
        joining_sign TEXT NOT NULL,
        address TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        stage TEXT NOT NULL CHECK (stage IN ('waiting', 'claimed', 'sealed', 'refused')),
        space_id TEXT,
        admin_agree TEXT,
        admin_sign TEXT,
        sealed TEXT
      );
      CREATE INDEX pairings_by_expiry ON pairings(expires_at);
      CREATE INDEX pairings_by_address ON pairings(address);
    `,
  },
  {
    // As SQLite's schema 8 (sqlite-storage.ts): each device's newest key grant.
    name: 'key grants (a secretary upgraded, a device re-granted its keys)',
    sql: `
      CREATE TABLE key_grants (
        space_id TEXT NOT NULL REFERENCES spaces(space_id),
        device_id TEXT NOT NULL,
        chain INTEGER NOT NULL,
        by_device TEXT NOT NULL,
        entry TEXT NOT NULL,
        PRIMARY KEY (space_id, device_id)
      );
    `,
  },
  {
    // One round trip per append instead of six (BEGIN, the space's lock, the room's head, the row,
    // the counter, COMMIT): the same statements in the same order, under the same locks, in the
    // statement's own transaction, which commits before the server answers (docs/performance.md,
    // « Plusieurs nœuds »). Outcomes that write nothing are returned, not raised, so the relay
    // names them (UnknownSpaceError, SpaceQuotaError, UnknownRoomError) as it did.
    name: 'append in one statement: tournee_append_update',
    sql: `
      CREATE FUNCTION tournee_append_update(p_space TEXT, p_room TEXT, p_data BYTEA, p_max_bytes BIGINT)
      RETURNS TABLE (outcome TEXT, appended_seq BIGINT, used_bytes BIGINT)
      LANGUAGE plpgsql AS $$
      DECLARE
        v_used BIGINT;
        v_seq BIGINT;
      BEGIN
        SELECT s.envelope_bytes INTO v_used FROM spaces s WHERE s.space_id = p_space FOR UPDATE;
        IF NOT FOUND THEN
          RETURN QUERY SELECT 'unknown-space'::TEXT, NULL::BIGINT, NULL::BIGINT;
          RETURN;
        END IF;
        IF p_max_bytes IS NOT NULL AND v_used + octet_length(p_data) > p_max_bytes THEN
          RETURN QUERY SELECT 'quota'::TEXT, NULL::BIGINT, v_used;
          RETURN;
        END IF;
        UPDATE rooms r SET head_seq = r.head_seq + 1 WHERE r.space_id = p_space AND r.room_id = p_room RETURNING r.head_seq INTO v_seq;
        IF NOT FOUND THEN
          RETURN QUERY SELECT 'unknown-room'::TEXT, NULL::BIGINT, NULL::BIGINT;
          RETURN;
        END IF;
        INSERT INTO updates (space_id, room_id, seq, data) VALUES (p_space, p_room, v_seq, p_data);
        UPDATE spaces s SET envelope_bytes = s.envelope_bytes + octet_length(p_data) WHERE s.space_id = p_space;
        RETURN QUERY SELECT 'appended'::TEXT, v_seq, v_used + octet_length(p_data);
      END
      $$;
    `,
  },
]

/** The schema version this code writes. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length

/**
 * Brings the database to POSTGRES_SCHEMA_VERSION, under the advisory lock; resolves with the
 * versions it applied (none when another node, or an earlier start, already did). Rejects with
 * SchemaVersionError, having changed nothing, on a database migrated by a newer relay, and with
 * PostgresConnectionLostError when PostgreSQL ends its connection meanwhile.
 */
export async function migratePostgres(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  // A connection ended meanwhile (postgres-checkout.ts) is a PostgresConnectionLostError: the node
  // refuses to start, as when PostgreSQL refuses it, and its supervisor starts it again; the
  // migration under way died with its session, rolled back whole, its lock released.
  return withConnection(pool, 'migrating the schema', async (client, held) => {
    let locked = false
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
      locked = true
      return await applyMigrations(client, migrations)
    } finally {
      // A session whose unlock failed may still hold the lock: destroyed, never back in the pool.
      if (locked) await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch((error: unknown) => held.discard(error instanceof Error ? error : new Error(String(error))))
    }
  })
}

/** The check and the migrations a database lacks, on a connection that holds MIGRATION_LOCK. */
async function applyMigrations(client: pg.PoolClient, migrations: readonly Migration[]): Promise<number[]> {
  await client.query(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`)
  const { rows } = await client.query<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations')
  const current = rows[0]?.version ?? 0
  if (current > migrations.length) {
    throw new SchemaVersionError(
      `The PostgreSQL database has schema version ${current}, newer than this relay's ${migrations.length}: run the newer relay, or restore a backup made by this one`,
    )
  }
  const applied: number[] = []
  for (let version = current + 1; version <= migrations.length; version++) {
    const migration = migrations[version - 1]!
    await client.query('BEGIN')
    try {
      await client.query(migration.sql)
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, migration.name])
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK')
      throw error
    }
    applied.push(version)
  }
  return applied
}
