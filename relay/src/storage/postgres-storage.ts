/**
 * RelayStorage on PostgreSQL (node-postgres `pg`), for relays that outgrow one machine: several
 * relay nodes share one database. The tables are those of the SQLite storage (postgres-migrations.ts
 * has them and says what differs); the relay migrates the schema at start.
 *
 * Durability: a write resolves once its COMMIT has returned, and COMMIT returns once the WAL is
 * flushed (synchronous_commit on, PostgreSQL's default), so what the relay acknowledges survives a
 * crash of either process. A server whose sessions run with synchronous_commit=off could lose
 * committed transactions on a crash: the storage refuses to open on one (UnsafeSettingError).
 *
 * Seqs: each room's row holds its log's head. An append updates that row (`head_seq + 1`), which
 * locks it until commit, then inserts its row at the new seq: appends to one room serialise on the
 * row, seqs follow commit order without gaps, and an append that fails rolls its seq back. The
 * append is one statement (a function of the schema, tournee_append_update): one round trip to the
 * server per update, which is what the latency of a cross-node edit waits for.
 *
 * Locks, always in this order so that no two transactions wait on each other: the space's row
 * (FOR UPDATE: its usage counters and its room, device-entry and key-epoch counts are checked and
 * changed under it, as SQLite's one writer does), then the room's row. Writes that hold both are
 * short: one append, one compaction.
 *
 * Erasure: a compaction deletes its rows in its transaction, but PostgreSQL keeps dead rows' bytes
 * in the table until VACUUM reuses their space (autovacuum does), and in the WAL and its archives
 * until they are recycled (docs/relay.md, « PostgreSQL », says what that means for backups).
 *
 * Reads of bytes: a room's rows come through a binary COPY (postgres-copy-rows.ts), attachments
 * and digests as base64 text (postgres-bytea.ts), never as node-postgres's hex `bytea`, whose
 * strings and decode were most of a PostgreSQL relay's CPU during a fresh device's join.
 *
 * When PostgreSQL is down or refuses connections, every call rejects (within the pool's connection
 * timeout): the room closes the device's socket with StorageFailure (4500) and never acknowledges
 * the update, which the device keeps and sends again.
 */
import pg from 'pg'
import { timingSafeEqualBytes } from '../auth/constant-time'
import type { Logger } from '../log'
import { errorFields } from '../log'
import type { DeviceRole } from '../../../shared/src/devices/registry-chain'
import { withConnection } from './postgres-checkout'
import { migratePostgres, PAIRING_OPEN_LOCK } from './postgres-migrations'
import { pairingOfRow, pairingRow, stageColumns, type PairingRow } from './pairing-rows'
import { SchemaVersionError } from './schema-version-error'
import {
  digestPreconditionHolds,
  SpaceQuotaError,
  StorageClosedError,
  UnknownRoomError,
  UnknownSpaceError,
  type AdmitRoomResult,
  type AppendDeviceEntryResult,
  type AttachmentQuota,
  type CreateSpaceResult,
  type DeviceCredential,
  type DeviceEffect,
  type DigestHead,
  type DigestPrecondition,
  type OpenPairingResult,
  type PairingBounds,
  type PairingDecision,
  type StoredPairing,
  type GrantKeyEpochResult,
  type PublishKeyEpochResult,
  type PutAttachmentResult,
  type PutDigestResult,
  type RelayStorage,
  type SpaceUsage,
  type StoredDigest,
  type StoredEpochSeal,
  type StoredKeyGrant,
  type PutKeyGrantResult,
  type StoredUpdates,
} from './relay-storage'
import { toBuffer, toBytes } from './stored-bytes'
import { byteaAsBase64, bytesFromBase64 } from './postgres-bytea'
import { copyRoomRowsSql, copySeqRows } from './postgres-copy-rows'

export interface PostgresStorageOptions {
  /** postgres://user:password@host:port/database (TOURNEE_DATABASE_URL); never logged. */
  url: string
  /** Connections this node keeps open at most (TOURNEE_DATABASE_POOL_SIZE). */
  poolSize?: number
  /** How long a call waits for a connection before it fails (PostgreSQL down or saturated). */
  connectTimeoutMs?: number
  logger?: Logger
  now?: () => number
}

/** The server runs the relay's sessions with a setting that would break what an ACK promises. */
export class UnsafeSettingError extends Error {
  override name = 'UnsafeSettingError'
}

/**
 * BIGINT columns (seqs, ms times, byte counts, digest weights) as numbers: every value the relay
 * writes is a safe integer, and a value that is not is refused rather than rounded.
 */
const INT8_OID = 20
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? parseSafeInteger : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
}

function parseSafeInteger(text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value)) throw new RangeError(`PostgreSQL returned ${text}, beyond the integers the relay stores`)
  return value
}

type Client = pg.PoolClient

export class PostgresStorage implements RelayStorage {
  readonly kind = 'postgres'
  private closed = false
  private readonly pending = new Set<Promise<unknown>>()

  private constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number,
  ) {}

  /** Connects, checks the server's settings, and migrates the schema (postgres-migrations.ts). */
  static async open(options: PostgresStorageOptions): Promise<PostgresStorage> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      keepAlive: true,
      types,
    })
    // An idle connection that the server ends (restart, failover) is dropped from the pool; the
    // next call opens another. Without a listener, pg's error would end the relay's process.
    pool.on('error', (error) => options.logger?.warn('postgres_connection_lost', errorFields(error)))
    try {
      const { rows } = await pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit')
      if (rows[0]?.synchronous_commit === 'off') {
        throw new UnsafeSettingError(
          'PostgreSQL runs the relay with synchronous_commit=off: a crash could lose updates the relay acknowledged. Set it to on (the default) for the relay\'s role or database',
        )
      }
      await migratePostgres(pool)
    } catch (error) {
      await pool.end()
      throw error
    }
    return new PostgresStorage(pool, options.now ?? Date.now)
  }

  createSpace(spaceId: string, credentialHash: Uint8Array): Promise<CreateSpaceResult> {
    return this.call(async () => {
      const inserted = await this.pool.query(
        'INSERT INTO spaces (space_id, credential_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT (space_id) DO NOTHING',
        [spaceId, toBuffer(credentialHash), this.now()],
      )
      if (inserted.rowCount === 1) return 'created'
      const stored = await this.readHash(spaceId)
      return stored !== null && timingSafeEqualBytes(stored, credentialHash) ? 'exists' : 'conflict'
    })
  }

  getCredentialHash(spaceId: string): Promise<Uint8Array | null> {
    return this.call(() => this.readHash(spaceId))
  }

  listDeviceEntries(spaceId: string): Promise<string[]> {
    return this.call(async () => {
      const { rows } = await this.pool.query<{ entry: string }>('SELECT entry FROM device_entries WHERE space_id = $1 ORDER BY seq', [spaceId])
      return rows.map((row) => row.entry)
    })
  }

  appendDeviceEntry(spaceId: string, seq: number, entry: string, effect: DeviceEffect, grant?: StoredKeyGrant): Promise<AppendDeviceEntryResult> {
    // Under the space's lock: the entry takes its seq only if it is the next one, and what it
    // grants or takes away is written with it, so no credential is ever valid without its entry.
    return this.transaction(async (client) => {
      if (!(await lockSpace(client, spaceId))) throw new UnknownSpaceError(spaceId)
      const { rows } = await client.query<{ n: number }>('SELECT COUNT(*) AS n FROM device_entries WHERE space_id = $1', [spaceId])
      if (rows[0]!.n !== seq) return 'conflict'
      await client.query('INSERT INTO device_entries (space_id, seq, entry) VALUES ($1, $2, $3)', [spaceId, seq, entry])
      if (effect.kind === 'add') {
        await client.query(
          'INSERT INTO devices (space_id, device_id, credential_hash, added_at, role, until_at) VALUES ($1, $2, $3, $4, $5, $6)',
          [spaceId, effect.deviceId, toBuffer(effect.credentialHash), effect.at, effect.role, effect.until],
        )
      } else if (effect.kind === 'revoke') {
        await client.query('UPDATE devices SET revoked_at = $1 WHERE space_id = $2 AND device_id = $3 AND revoked_at IS NULL', [effect.at, spaceId, effect.deviceId])
      } else {
        await client.query('UPDATE devices SET role = $1, until_at = $2 WHERE space_id = $3 AND device_id = $4 AND revoked_at IS NULL', [
          effect.role,
          effect.until,
          spaceId,
          effect.deviceId,
        ])
      }
      // A grant was made for the role the device had: it goes with a change or a revocation.
      if (effect.kind !== 'add') await client.query('DELETE FROM key_grants WHERE space_id = $1 AND device_id = $2', [spaceId, effect.deviceId])
      if (grant !== undefined) await upsertKeyGrant(client, spaceId, grant)
      return 'appended'
    })
  }

  findDevice(spaceId: string, credentialHash: Uint8Array): Promise<DeviceCredential | null> {
    return this.call(async () => {
      const { rows } = await this.pool.query<{ device_id: string; revoked_at: number | null; role: DeviceRole; until_at: number | null }>(
        'SELECT device_id, revoked_at, role, until_at FROM devices WHERE space_id = $1 AND credential_hash = $2',
        [spaceId, toBuffer(credentialHash)],
      )
      const row = rows[0]
      return row ? { deviceId: row.device_id, revoked: row.revoked_at !== null, role: row.role, until: row.until_at } : null
    })
  }

  countDevices(spaceId: string): Promise<number> {
    return this.call(async () => {
      const { rows } = await this.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM devices WHERE space_id = $1', [spaceId])
      return rows[0]!.n
    })
  }

  touchDevice(spaceId: string, deviceId: string, at: number): Promise<void> {
    return this.call(async () => {
      await this.pool.query('UPDATE devices SET last_seen_at = $1 WHERE space_id = $2 AND device_id = $3', [at, spaceId, deviceId])
    })
  }

  devicesLastSeen(spaceId: string): Promise<Map<string, number>> {
    return this.call(async () => {
      const { rows } = await this.pool.query<{ device_id: string; last_seen_at: number }>(
        'SELECT device_id, last_seen_at FROM devices WHERE space_id = $1 AND last_seen_at IS NOT NULL',
        [spaceId],
      )
      return new Map(rows.map((row) => [row.device_id, row.last_seen_at]))
    })
  }

  listKeyEpochs(spaceId: string): Promise<number[]> {
    return this.call(async () => {
      const { rows } = await this.pool.query<{ epoch: number }>('SELECT epoch FROM key_epochs WHERE space_id = $1 ORDER BY epoch', [spaceId])
      return rows.map((row) => row.epoch)
    })
  }

  publishKeyEpoch(spaceId: string, epoch: number, entry: string, by: string, seals: ReadonlyMap<string, string>): Promise<PublishKeyEpochResult> {
    // Under the space's lock: two administrators' rotations cannot both pass the check, and no
    // device is ever served half an epoch's seals.
    return this.transaction(async (client) => {
      if (!(await lockSpace(client, spaceId))) throw new UnknownSpaceError(spaceId)
      const { rows } = await client.query<{ epoch: number | null }>('SELECT MAX(epoch) AS epoch FROM key_epochs WHERE space_id = $1', [spaceId])
      const newest = rows[0]?.epoch ?? null
      if (newest !== null && newest >= epoch) return 'conflict'
      await client.query('INSERT INTO key_epochs (space_id, epoch, entry) VALUES ($1, $2, $3)', [spaceId, epoch, entry])
      for (const [deviceId, sealed] of seals) {
        await client.query(
          'INSERT INTO epoch_seals (space_id, epoch, device_id, by_device, sealed) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
          [spaceId, epoch, deviceId, by, sealed],
        )
      }
      return 'published'
    })
  }

  grantKeyEpoch(spaceId: string, epoch: number, deviceId: string, by: string, sealed: string): Promise<GrantKeyEpochResult> {
    return this.call(async () => {
      const inserted = await this.pool.query(
        'INSERT INTO epoch_seals (space_id, epoch, device_id, by_device, sealed) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
        [spaceId, epoch, deviceId, by, sealed],
      )
      return inserted.rowCount === 1 ? 'granted' : 'conflict'
    })
  }

  putKeyGrant(spaceId: string, grant: StoredKeyGrant): Promise<PutKeyGrantResult> {
    // Under the space's lock, as appendDeviceEntry: a change appended since the route's check
    // makes the grant stale, never stored.
    return this.transaction(async (client) => {
      if (!(await lockSpace(client, spaceId))) throw new UnknownSpaceError(spaceId)
      const { rows } = await client.query<{ n: number }>('SELECT COUNT(*) AS n FROM device_entries WHERE space_id = $1', [spaceId])
      if (rows[0]!.n !== grant.chain) return 'conflict'
      await upsertKeyGrant(client, spaceId, grant)
      return 'stored'
    })
  }

  getKeyGrant(spaceId: string, deviceId: string): Promise<StoredKeyGrant | null> {
    return this.call(async () => {
      const { rows } = await this.pool.query<{ chain: number; by_device: string; entry: string }>(
        'SELECT chain, by_device, entry FROM key_grants WHERE space_id = $1 AND device_id = $2',
        [spaceId, deviceId],
      )
      const row = rows[0]
      return row ? { deviceId, chain: row.chain, by: row.by_device, entry: row.entry } : null
    })
  }

  listEpochSeals(spaceId: string, deviceId: string): Promise<StoredEpochSeal[]> {
    return this.call(async () => {
      const { rows } = await this.pool.query<{ epoch: number; by_device: string; sealed: string }>(
        'SELECT epoch, by_device, sealed FROM epoch_seals WHERE space_id = $1 AND device_id = $2 ORDER BY epoch',
        [spaceId, deviceId],
      )
      return rows.map((row) => ({ epoch: row.epoch, by: row.by_device, sealed: row.sealed }))
    })
  }

  loadUpdates(spaceId: string, roomId: string, afterSeq = 0): Promise<StoredUpdates> {
    // COPY in binary, not a SELECT: a room's rows never become strings (postgres-copy-rows.ts).
    return this.call(async () => {
      const sql = copyRoomRowsSql(spaceId, roomId, afterSeq)
      const rows = await withConnection(this.pool, 'reading a room', (client) => copySeqRows(client, sql))
      return { updates: rows.map((row) => row.data), lastSeq: rows.at(-1)?.seq ?? 0 }
    })
  }

  async admitRoom(spaceId: string, roomId: string, maxRooms: number): Promise<AdmitRoomResult> {
    // A room once admitted stays admitted (no room row is ever deleted, and the limit counts only
    // new rooms): one statement answers it, without the space's lock. Nearly every socket is on a
    // known room (a device's reconnect, a new device joining a practice's rooms), and the locked
    // transaction below was four round trips (BEGIN, the lock, the look, COMMIT) that also queued
    // behind every append of the space, which takes the same lock (tournee_append_update).
    const known = await this.call(() => this.pool.query('SELECT 1 FROM rooms WHERE space_id = $1 AND room_id = $2', [spaceId, roomId]))
    if (known.rowCount === 1) return 'admitted'
    // Under the space's lock: two devices opening new rooms at once cannot both pass the count.
    return this.transaction(async (client) => {
      if (!(await lockSpace(client, spaceId))) throw new UnknownSpaceError(spaceId)
      const known = await client.query('SELECT 1 FROM rooms WHERE space_id = $1 AND room_id = $2', [spaceId, roomId])
      if (known.rowCount === 1) return 'admitted'
      const { rows } = await client.query<{ n: number }>('SELECT COUNT(*) AS n FROM rooms WHERE space_id = $1', [spaceId])
      if (rows[0]!.n >= maxRooms) return 'limit'
      await client.query('INSERT INTO rooms (space_id, room_id, created_at) VALUES ($1, $2, $3)', [spaceId, roomId, this.now()])
      return 'admitted'
    })
  }

  appendUpdate(spaceId: string, roomId: string, update: Uint8Array, maxSpaceBytes = Infinity): Promise<number> {
    // One statement, one round trip (tournee_append_update, postgres-migrations.ts): the quota is
    // checked under the space's lock (two rooms of the space appending at once cannot both pass
    // it), the seq taken under the room's, the row written, the counter moved, all in the
    // statement's transaction; node-postgres resolves on ReadyForQuery, which the server sends
    // only once that transaction has committed, so the seq is the caller's only once it is durable.
    return this.call(async () => {
      const { rows } = await this.pool.query<{ outcome: string; appended_seq: number | null; used_bytes: number | null }>(
        'SELECT outcome, appended_seq, used_bytes FROM tournee_append_update($1, $2, $3, $4)',
        [spaceId, roomId, toBuffer(update), Number.isFinite(maxSpaceBytes) ? maxSpaceBytes : null],
      )
      const row = rows[0]
      if (row?.outcome === 'appended' && row.appended_seq !== null) return row.appended_seq
      if (row?.outcome === 'unknown-space') throw new UnknownSpaceError(spaceId)
      if (row?.outcome === 'quota') throw new SpaceQuotaError(spaceId, 'envelope-bytes', row.used_bytes ?? 0, maxSpaceBytes)
      if (row?.outcome === 'unknown-room') throw new UnknownRoomError(spaceId, roomId)
      throw new SchemaVersionError(`The database's tournee_append_update answered ${JSON.stringify(row?.outcome ?? null)}, which this relay does not know: its schema is another relay's`)
    })
  }

  compact(spaceId: string, roomId: string, mergedState: Uint8Array, upToSeq: number): Promise<void> {
    // The merged row takes the seq of the newest row it replaces, so seq order stays the order in
    // which content arrived, rows appended after upToSeq stay after it, and the head is unchanged.
    return this.transaction(async (client) => {
      if (!(await lockSpace(client, spaceId))) return
      const { rows } = await client.query<{ seq: number | null }>(
        'SELECT MAX(seq) AS seq FROM updates WHERE space_id = $1 AND room_id = $2 AND seq <= $3',
        [spaceId, roomId, upToSeq],
      )
      const last = rows[0]?.seq ?? null
      if (last === null) return
      const deleted = await client.query<{ bytes: number }>(
        `WITH gone AS (DELETE FROM updates WHERE space_id = $1 AND room_id = $2 AND seq <= $3 RETURNING octet_length(data) AS n)
         SELECT COALESCE(SUM(n), 0)::BIGINT AS bytes FROM gone`,
        [spaceId, roomId, upToSeq],
      )
      await client.query('INSERT INTO updates (space_id, room_id, seq, data) VALUES ($1, $2, $3, $4)', [spaceId, roomId, last, toBuffer(mergedState)])
      await client.query('UPDATE spaces SET envelope_bytes = envelope_bytes - $1 + $2 WHERE space_id = $3', [deleted.rows[0]!.bytes, mergedState.byteLength, spaceId])
    })
  }

  putAttachment(spaceId: string, hash: string, data: Uint8Array, quota?: AttachmentQuota): Promise<PutAttachmentResult> {
    return this.transaction(async (client) => {
      const space = await client.query<{ attachment_count: number; attachment_bytes: number }>(
        'SELECT attachment_count, attachment_bytes FROM spaces WHERE space_id = $1 FOR UPDATE',
        [spaceId],
      )
      const usage = space.rows[0]
      if (usage === undefined) throw new UnknownSpaceError(spaceId)
      // A retry of what is stored is no new cost: `exists`, whatever the quota.
      const stored = await client.query('SELECT 1 FROM attachments WHERE space_id = $1 AND hash = $2', [spaceId, hash])
      if (stored.rowCount === 1) return 'exists'
      if (quota && usage.attachment_count + 1 > quota.maxAttachments) {
        throw new SpaceQuotaError(spaceId, 'attachments', usage.attachment_count, quota.maxAttachments)
      }
      if (quota && usage.attachment_bytes + data.byteLength > quota.maxAttachmentBytes) {
        throw new SpaceQuotaError(spaceId, 'attachment-bytes', usage.attachment_bytes, quota.maxAttachmentBytes)
      }
      await client.query('INSERT INTO attachments (space_id, hash, data, created_at) VALUES ($1, $2, $3, $4)', [spaceId, hash, toBuffer(data), this.now()])
      await client.query(
        'UPDATE spaces SET attachment_count = attachment_count + 1, attachment_bytes = attachment_bytes + $1 WHERE space_id = $2',
        [data.byteLength, spaceId],
      )
      return 'created'
    })
  }

  spaceUsage(spaceId: string): Promise<SpaceUsage | null> {
    return this.call(async () => {
      const { rows } = await this.pool.query<{ envelope_bytes: number; attachment_count: number; attachment_bytes: number }>(
        'SELECT envelope_bytes, attachment_count, attachment_bytes FROM spaces WHERE space_id = $1',
        [spaceId],
      )
      const row = rows[0]
      return row ? { envelopeBytes: row.envelope_bytes, attachments: row.attachment_count, attachmentBytes: row.attachment_bytes } : null
    })
  }

  getAttachment(spaceId: string, hash: string): Promise<Uint8Array | null> {
    return this.call(async () => {
      const { rows } = await this.pool.query<{ data: string; data_length: number }>(
        `SELECT ${byteaAsBase64('data')} FROM attachments WHERE space_id = $1 AND hash = $2`,
        [spaceId, hash],
      )
      return rows[0] ? bytesFromBase64(rows[0].data, rows[0].data_length) : null
    })
  }

  putDigest(spaceId: string, name: string, weight: number, data: Uint8Array, precondition: DigestPrecondition): Promise<PutDigestResult> {
    // Under the space's lock: the version compared is the version replaced, whatever publishes
    // meanwhile. A space never created holds no digest: the precondition is judged first, as on
    // SQLite, and only a publication that would write learns that the space is unknown.
    return this.transaction(async (client): Promise<PutDigestResult> => {
      const known = await lockSpace(client, spaceId)
      const current = known ? await readDigestHead(client, spaceId, name) : null
      if (!digestPreconditionHolds(precondition, current)) return { status: 'precondition-failed', current }
      if (!known) throw new UnknownSpaceError(spaceId)
      if (current !== null) {
        await client.query(
          'UPDATE digests SET weight = $1, data = $2, updated_at = $3, version = version + 1 WHERE space_id = $4 AND name = $5',
          [weight, toBuffer(data), this.now(), spaceId, name],
        )
        return { status: 'replaced', version: current.version + 1 }
      }
      await client.query(
        'INSERT INTO digests (space_id, name, weight, data, updated_at, version) VALUES ($1, $2, $3, $4, $5, 1)',
        [spaceId, name, weight, toBuffer(data), this.now()],
      )
      return { status: 'created', version: 1 }
    })
  }

  getDigest(spaceId: string, name: string): Promise<StoredDigest | null> {
    return this.call(async () => {
      const { rows } = await this.pool.query<{ weight: number; version: number; data: string; data_length: number }>(
        `SELECT weight, version, ${byteaAsBase64('data')} FROM digests WHERE space_id = $1 AND name = $2`,
        [spaceId, name],
      )
      const row = rows[0]
      return row ? { weight: row.weight, version: row.version, data: bytesFromBase64(row.data, row.data_length) } : null
    })
  }

  getDigestHead(spaceId: string, name: string): Promise<DigestHead | null> {
    return this.call(() => readDigestHead(this.pool, spaceId, name))
  }

  openPairing(pairing: StoredPairing, now: number, bounds: PairingBounds): Promise<OpenPairingResult> {
    // Under one advisory lock for every open on every node: two opens at once cannot both pass
    // the counts (a row lock cannot cover rows not yet inserted). Opens are rare: a device joining.
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [PAIRING_OPEN_LOCK])
      await client.query('DELETE FROM pairings WHERE expires_at <= $1', [now])
      const { rows } = await client.query<{ total: number; from_address: number }>(
        'SELECT COUNT(*) AS total, COUNT(*) FILTER (WHERE address = $1) AS from_address FROM pairings',
        [pairing.address],
      )
      if (rows[0]!.total >= bounds.maxOpen) return 'relay_full'
      if (rows[0]!.from_address >= bounds.maxPerAddress) return 'address_full'
      const row = pairingRow(pairing)
      const inserted = await client.query(
        `INSERT INTO pairings (code, joining_agree, joining_sign, address, expires_at, stage, space_id, admin_agree, admin_sign, sealed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (code) DO NOTHING`,
        [row.code, row.joining_agree, row.joining_sign, row.address, row.expires_at, row.stage, row.space_id, row.admin_agree, row.admin_sign, row.sealed],
      )
      return inserted.rowCount === 1 ? 'opened' : 'code_taken'
    })
  }

  updatePairing<T>(code: string, now: number, decide: PairingDecision<T>): Promise<T | null> {
    // The row is locked from its read to the commit: a second call on it (the joining device's
    // poll on one node, the administrator's seal on another) decides on what the first wrote.
    return this.transaction(async (client) => {
      const { rows } = await client.query<PairingRow>('SELECT * FROM pairings WHERE code = $1 AND expires_at > $2 FOR UPDATE', [code, now])
      const row = rows[0]
      if (row === undefined) {
        await client.query('DELETE FROM pairings WHERE code = $1', [code])
        return null
      }
      const { change, result } = decide(pairingOfRow(row))
      if (change.kind === 'delete') await client.query('DELETE FROM pairings WHERE code = $1', [code])
      else if (change.kind === 'stage') {
        const columns = stageColumns(change.stage)
        await client.query('UPDATE pairings SET stage = $1, space_id = $2, admin_agree = $3, admin_sign = $4, sealed = $5 WHERE code = $6', [
          columns.stage,
          columns.space_id,
          columns.admin_agree,
          columns.admin_sign,
          columns.sealed,
          code,
        ])
      }
      return result
    })
  }

  countPairings(now: number): Promise<number> {
    return this.call(async () => {
      await this.pool.query('DELETE FROM pairings WHERE expires_at <= $1', [now])
      const { rows } = await this.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM pairings')
      return rows[0]!.n
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // Calls already started finish (their writes commit or roll back), then the pool closes.
    await Promise.allSettled([...this.pending])
    await this.pool.end()
  }

  /** Runs one call, refused once closing began, and counted so that close() waits for it. */
  private call<T>(run: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StorageClosedError())
    const running = run()
    this.pending.add(running)
    const forget = (): void => {
      this.pending.delete(running)
    }
    running.then(forget, forget)
    return running
  }

  /** `run` inside BEGIN … COMMIT on one connection; rolled back if it throws. */
  private transaction<T>(run: (client: Client) => Promise<T>): Promise<T> {
    return this.call(() =>
      withConnection(this.pool, 'running a transaction', async (client, held) => {
        try {
          await client.query('BEGIN')
          const result = await run(client)
          await client.query('COMMIT')
          return result
        } catch (error) {
          // A connection whose rollback failed is in an unknown state: destroyed, never reused.
          await client.query('ROLLBACK').catch((rollbackError: unknown) => held.discard(rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))))
          throw error
        }
      }),
    )
  }

  private async readHash(spaceId: string): Promise<Uint8Array | null> {
    const { rows } = await this.pool.query<{ credential_hash: Buffer }>('SELECT credential_hash FROM spaces WHERE space_id = $1', [spaceId])
    return rows[0] ? toBytes(rows[0].credential_hash) : null
  }
}

/** Locks the space's row until the transaction ends; false when the space was never created. */
/** A device's key grant in place of its previous one. */
async function upsertKeyGrant(client: Client, spaceId: string, grant: StoredKeyGrant): Promise<void> {
  await client.query(
    `INSERT INTO key_grants (space_id, device_id, chain, by_device, entry) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (space_id, device_id) DO UPDATE SET chain = EXCLUDED.chain, by_device = EXCLUDED.by_device, entry = EXCLUDED.entry`,
    [spaceId, grant.deviceId, grant.chain, grant.by, grant.entry],
  )
}

async function lockSpace(client: Client, spaceId: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM spaces WHERE space_id = $1 FOR UPDATE', [spaceId])
  return rowCount === 1
}

async function readDigestHead(client: Client | pg.Pool, spaceId: string, name: string): Promise<DigestHead | null> {
  const { rows } = await client.query<{ weight: number; version: number }>('SELECT weight, version FROM digests WHERE space_id = $1 AND name = $2', [spaceId, name])
  return rows[0] ? { weight: rows[0].weight, version: rows[0].version } : null
}
