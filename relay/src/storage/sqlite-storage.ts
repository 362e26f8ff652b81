/**
 * RelayStorage on SQLite (better-sqlite3), one file `relay.db` in the data folder.
 *
 *   spaces     (space_id TEXT PRIMARY KEY, credential_hash BLOB, created_at INTEGER ms,
 *               envelope_bytes, attachment_count, attachment_bytes INTEGER: what it holds, kept
 *               by triggers on every insert and delete of its rows, for the quotas)
 *   rooms      (space_id TEXT → spaces, room_id TEXT, created_at INTEGER ms; PK space_id, room_id)
 *   updates    (seq INTEGER PRIMARY KEY AUTOINCREMENT, space_id, room_id → rooms, data BLOB)
 *   attachments(space_id TEXT → spaces, hash TEXT, data BLOB, created_at INTEGER ms; PK space_id, hash)
 *   digests    (space_id TEXT → spaces, name TEXT, weight INTEGER, data BLOB, updated_at INTEGER ms,
 *               version INTEGER; PK space_id, name): one row per digest, replaced in place by
 *               compare-and-swap on version (1 at creation, +1 at each replacement)
 *   device_entries (space_id → spaces, seq INTEGER, entry TEXT; PK space_id, seq): the practice's
 *               device registry, signed entries in order (shared/src/devices/registry-chain.ts)
 *   devices    (space_id → spaces, device_id, credential_hash BLOB, added_at, revoked_at,
 *               last_seen_at INTEGER ms or NULL, role TEXT, until_at INTEGER ms or NULL; PK
 *               space_id, device_id; UNIQUE space_id, credential_hash): what the registry's
 *               entries say about credentials and what each may open (a secretary no clinical
 *               room, a locum nothing from until_at; a « change » entry rewrites role and
 *               until_at in place), written in the entry's transaction; and
 *               when the device last opened a socket or closed one
 *   key_epochs (space_id → spaces, epoch INTEGER, entry TEXT; PK space_id, epoch): each rotation
 *               of the practice's keys, its signed entry (shared/src/devices/key-epoch-entry.ts)
 *   epoch_seals (space_id, epoch → key_epochs, device_id, by_device, sealed TEXT; PK space_id,
 *               epoch, device_id): each epoch's tier secrets sealed to one device, which the
 *               relay cannot open and serves only to that device
 *   pairings   (code TEXT PRIMARY KEY, …): the pairings open on the relay, one row each until it is
 *               collected, cancelled or expired (pairing-rows.ts has the columns)
 *   key_grants (space_id → spaces, device_id, chain INTEGER, by_device, entry TEXT; PK space_id,
 *               device_id): each device's newest key grant (shared/src/devices/key-grant.ts), the
 *               keys of its role sealed to it after its pairing; dropped with a change or
 *               revocation of the device, unless the change brings a new one
 *
 * The schema's version is SQLite's `user_version` (SCHEMA_VERSION). A database of an older version
 * is migrated in place (MIGRATIONS), one transaction per step; one of a newer version is refused
 * at open with what to do (SchemaVersionError), and so are the unversioned files of pre-release
 * relays (before one room layout).
 *
 * The usage counters are kept by triggers rather than by each statement that writes rows, so no
 * path (an append, a compaction's delete and insert, an attachment) can let them drift; a quota is
 * checked against them in the same transaction as the write it bounds.
 *
 * Attachments are BLOBs in the same database rather than files in the data folder: one file to
 * back up with `sqlite3 .backup` while running (README), writes made durable by the same WAL
 * fsync, and no half-written file to clean up after a crash. At the relay's size limit (20 MiB by
 * default) SQLite reads and writes blobs at file speed.
 *
 * WAL with synchronous=FULL: a transaction is fsynced to the WAL before its statement returns,
 * so when appendUpdate resolves the update survives a crash or power loss, which is what the
 * relay's ACK promises. secure_delete and a WAL checkpoint after compaction make erasure real on
 * disk (see compact). better-sqlite3 is synchronous; the async interface is for backends that
 * are not (PostgreSQL), and costs nothing here.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
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
  type PutAttachmentResult,
  type GrantKeyEpochResult,
  type PublishKeyEpochResult,
  type PutDigestResult,
  type StoredDigest,
  type StoredEpochSeal,
  type StoredKeyGrant,
  type PutKeyGrantResult,
  type RelayStorage,
  type SpaceUsage,
  type StoredUpdates,
} from './relay-storage'
import { timingSafeEqualBytes } from '../auth/constant-time'
import { SchemaVersionError } from './schema-version-error'
import { pairingOfRow, pairingRow, stageColumns, type PairingRow } from './pairing-rows'
import { toBuffer, toBytes } from './stored-bytes'
import type { DeviceRole } from '../../../shared/src/devices/registry-chain'

export const SQLITE_FILE_NAME = 'relay.db'

/** The schema this code writes; bump with a step in MIGRATIONS when it changes. */
export const SCHEMA_VERSION = 8

/** What keeps each space's usage counters in step with its rows (schema 3). */
const USAGE_TRIGGERS = `
  CREATE TRIGGER updates_count_insert AFTER INSERT ON updates BEGIN
    UPDATE spaces SET envelope_bytes = envelope_bytes + length(NEW.data) WHERE space_id = NEW.space_id;
  END;
  CREATE TRIGGER updates_count_delete AFTER DELETE ON updates BEGIN
    UPDATE spaces SET envelope_bytes = envelope_bytes - length(OLD.data) WHERE space_id = OLD.space_id;
  END;
  CREATE TRIGGER attachments_count_insert AFTER INSERT ON attachments BEGIN
    UPDATE spaces SET attachment_count = attachment_count + 1, attachment_bytes = attachment_bytes + length(NEW.data)
      WHERE space_id = NEW.space_id;
  END;
  CREATE TRIGGER attachments_count_delete AFTER DELETE ON attachments BEGIN
    UPDATE spaces SET attachment_count = attachment_count - 1, attachment_bytes = attachment_bytes - length(OLD.data)
      WHERE space_id = OLD.space_id;
  END;
`

/** The device registry's tables (schema 4): in a new database, and added to a version-3 one. */
const DEVICE_TABLES = `
  CREATE TABLE device_entries (
    space_id TEXT NOT NULL REFERENCES spaces(space_id),
    seq INTEGER NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (space_id, seq)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE devices (
    space_id TEXT NOT NULL REFERENCES spaces(space_id),
    device_id TEXT NOT NULL,
    credential_hash BLOB NOT NULL,
    added_at INTEGER NOT NULL,
    revoked_at INTEGER,
    last_seen_at INTEGER,
    PRIMARY KEY (space_id, device_id),
    UNIQUE (space_id, credential_hash)
  ) STRICT, WITHOUT ROWID;
`

/** A device's role and a locum's end of access (schema 5, issue 19 « People and roles »). */
const DEVICE_ROLE_COLUMNS = `
  ALTER TABLE devices ADD COLUMN role TEXT NOT NULL DEFAULT 'praticien' CHECK (role IN ('praticien', 'secretariat', 'remplacant'));
  ALTER TABLE devices ADD COLUMN until_at INTEGER;
`

/** Key epochs and their seals (schema 6, issue 19 « Revocation »). */
const KEY_EPOCH_TABLES = `
  CREATE TABLE key_epochs (
    space_id TEXT NOT NULL REFERENCES spaces(space_id),
    epoch INTEGER NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (space_id, epoch)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE epoch_seals (
    space_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    by_device TEXT NOT NULL,
    sealed TEXT NOT NULL,
    PRIMARY KEY (space_id, epoch, device_id),
    FOREIGN KEY (space_id, epoch) REFERENCES key_epochs(space_id, epoch)
  ) STRICT, WITHOUT ROWID;
`

/** Open pairings (schema 7, issue 22: in storage so that any node serves them). */
const PAIRING_TABLE = `
  CREATE TABLE pairings (
    code TEXT PRIMARY KEY,
    joining_agree TEXT NOT NULL,
    joining_sign TEXT NOT NULL,
    address TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('waiting', 'claimed', 'sealed', 'refused')),
    space_id TEXT,
    admin_agree TEXT,
    admin_sign TEXT,
    sealed TEXT
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX pairings_by_expiry ON pairings(expires_at);
  CREATE INDEX pairings_by_address ON pairings(address);
`

/** Key grants (schema 8, issue 19: a secretary upgraded, a device re-granted its keys). */
const KEY_GRANT_TABLE = `
  CREATE TABLE key_grants (
    space_id TEXT NOT NULL REFERENCES spaces(space_id),
    device_id TEXT NOT NULL,
    chain INTEGER NOT NULL,
    by_device TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (space_id, device_id)
  ) STRICT, WITHOUT ROWID;
`

const SCHEMA = `
  CREATE TABLE spaces (
    space_id TEXT PRIMARY KEY,
    credential_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    envelope_bytes INTEGER NOT NULL DEFAULT 0,
    attachment_count INTEGER NOT NULL DEFAULT 0,
    attachment_bytes INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE TABLE rooms (
    space_id TEXT NOT NULL REFERENCES spaces(space_id),
    room_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (space_id, room_id)
  ) STRICT;
  CREATE TABLE updates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    data BLOB NOT NULL,
    FOREIGN KEY (space_id, room_id) REFERENCES rooms(space_id, room_id)
  ) STRICT;
  CREATE INDEX updates_by_room ON updates(space_id, room_id, seq);
  CREATE TABLE attachments (
    space_id TEXT NOT NULL REFERENCES spaces(space_id),
    hash TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (space_id, hash)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE digests (
    space_id TEXT NOT NULL REFERENCES spaces(space_id),
    name TEXT NOT NULL,
    weight INTEGER NOT NULL,
    data BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (space_id, name)
  ) STRICT, WITHOUT ROWID;
${DEVICE_TABLES}${DEVICE_ROLE_COLUMNS}${KEY_EPOCH_TABLES}${PAIRING_TABLE}${KEY_GRANT_TABLE}${USAGE_TRIGGERS}`

/**
 * Steps from each older schema version to the next: MIGRATIONS[v] takes a database of version v to
 * v + 1. Version 2 (issue 18): digests are replaced by compare-and-swap on a version the relay
 * assigns, no longer by weight; a stored digest starts at version 1. Version 3 (issue 18): what
 * each space holds, for its quotas, counted from the rows already there, then kept by triggers.
 * Version 4 (issue 19): the device registry and the credentials it grants; a space without entries
 * keeps its one shared credential (relay/src/auth/space-access.ts). Version 5 (issue 19): each
 * device's role and a locum's end of access; the devices registered before were all praticiens.
 * Version 6 (issue 19): key epochs and their seals; a space before has none (epoch 0). Version 7
 * (issue 22): open pairings, until then in the relay's memory (lost at every restart anyway).
 * Version 8 (issue 19): key grants; a space before has none.
 */
const MIGRATIONS: Readonly<Record<number, string>> = {
  1: 'ALTER TABLE digests ADD COLUMN version INTEGER NOT NULL DEFAULT 1',
  2: `
    ALTER TABLE spaces ADD COLUMN envelope_bytes INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE spaces ADD COLUMN attachment_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE spaces ADD COLUMN attachment_bytes INTEGER NOT NULL DEFAULT 0;
    UPDATE spaces SET
      envelope_bytes = (SELECT COALESCE(SUM(length(data)), 0) FROM updates WHERE updates.space_id = spaces.space_id),
      attachment_count = (SELECT COUNT(*) FROM attachments WHERE attachments.space_id = spaces.space_id),
      attachment_bytes = (SELECT COALESCE(SUM(length(data)), 0) FROM attachments WHERE attachments.space_id = spaces.space_id);
    ${USAGE_TRIGGERS}`,
  3: DEVICE_TABLES,
  4: DEVICE_ROLE_COLUMNS,
  5: KEY_EPOCH_TABLES,
  6: PAIRING_TABLE,
  7: KEY_GRANT_TABLE,
}

export { SchemaVersionError }

export interface SqliteStorageOptions {
  dataDir: string
  now?: () => number
}

export class SqliteStorage implements RelayStorage {
  readonly kind = 'sqlite'
  private readonly db: Database.Database
  private readonly now: () => number
  private closed = false
  private readonly statements

  constructor(options: SqliteStorageOptions) {
    mkdirSync(options.dataDir, { recursive: true })
    this.now = options.now ?? Date.now
    this.db = new Database(join(options.dataDir, SQLITE_FILE_NAME))
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
    this.db.pragma('foreign_keys = ON')
    // Deleted rows are overwritten with zeros, so compaction really erases the ciphertext of
    // deleted entries from the file instead of leaving it in free pages.
    this.db.pragma('secure_delete = ON')
    // Compaction frees most pages of a space; without auto_vacuum the file keeps them forever
    // (about twice the live data after a compaction). The mode takes effect on a new database,
    // or after one VACUUM for a database created before this setting.
    this.db.pragma('auto_vacuum = INCREMENTAL')
    if (this.db.pragma('auto_vacuum', { simple: true }) !== 2) this.db.exec('VACUUM')
    this.migrate(join(options.dataDir, SQLITE_FILE_NAME))
    this.statements = {
      insertSpace: this.db.prepare<[string, Buffer, number]>(
        'INSERT OR IGNORE INTO spaces (space_id, credential_hash, created_at) VALUES (?, ?, ?)',
      ),
      selectHash: this.db.prepare<[string], { credential_hash: Buffer }>(
        'SELECT credential_hash FROM spaces WHERE space_id = ?',
      ),
      selectUsage: this.db.prepare<[string], { envelope_bytes: number; attachment_count: number; attachment_bytes: number }>(
        'SELECT envelope_bytes, attachment_count, attachment_bytes FROM spaces WHERE space_id = ?',
      ),
      selectUpdates: this.db.prepare<[string, string, number], { seq: number; data: Buffer }>(
        'SELECT seq, data FROM updates WHERE space_id = ? AND room_id = ? AND seq > ? ORDER BY seq',
      ),
      insertUpdate: this.db.prepare<[string, string, Buffer]>('INSERT INTO updates (space_id, room_id, data) VALUES (?, ?, ?)'),
      insertUpdateAt: this.db.prepare<[number, string, string, Buffer]>(
        'INSERT INTO updates (seq, space_id, room_id, data) VALUES (?, ?, ?, ?)',
      ),
      maxSeqUpTo: this.db.prepare<[string, string, number], { seq: number | null }>(
        'SELECT MAX(seq) AS seq FROM updates WHERE space_id = ? AND room_id = ? AND seq <= ?',
      ),
      deleteUpTo: this.db.prepare<[string, string, number]>('DELETE FROM updates WHERE space_id = ? AND room_id = ? AND seq <= ?'),
      selectRoom: this.db.prepare<[string, string], { room_id: string }>('SELECT room_id FROM rooms WHERE space_id = ? AND room_id = ?'),
      countRooms: this.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM rooms WHERE space_id = ?'),
      insertRoom: this.db.prepare<[string, string, number]>('INSERT INTO rooms (space_id, room_id, created_at) VALUES (?, ?, ?)'),
      insertAttachment: this.db.prepare<[string, string, Buffer, number]>(
        'INSERT OR IGNORE INTO attachments (space_id, hash, data, created_at) VALUES (?, ?, ?, ?)',
      ),
      selectAttachment: this.db.prepare<[string, string], { data: Buffer }>(
        'SELECT data FROM attachments WHERE space_id = ? AND hash = ?',
      ),
      hasAttachment: this.db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM attachments WHERE space_id = ? AND hash = ?'),
      insertDigest: this.db.prepare<[string, string, number, Buffer, number]>(
        'INSERT INTO digests (space_id, name, weight, data, updated_at, version) VALUES (?, ?, ?, ?, ?, 1)',
      ),
      replaceDigest: this.db.prepare<[number, Buffer, number, string, string, number]>(
        'UPDATE digests SET weight = ?, data = ?, updated_at = ?, version = version + 1 WHERE space_id = ? AND name = ? AND version = ?',
      ),
      selectDigest: this.db.prepare<[string, string], { weight: number; version: number; data: Buffer }>(
        'SELECT weight, version, data FROM digests WHERE space_id = ? AND name = ?',
      ),
      selectDigestHead: this.db.prepare<[string, string], { weight: number; version: number }>(
        'SELECT weight, version FROM digests WHERE space_id = ? AND name = ?',
      ),
      selectDeviceEntries: this.db.prepare<[string], { entry: string }>('SELECT entry FROM device_entries WHERE space_id = ? ORDER BY seq'),
      countDeviceEntries: this.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM device_entries WHERE space_id = ?'),
      insertDeviceEntry: this.db.prepare<[string, number, string]>('INSERT INTO device_entries (space_id, seq, entry) VALUES (?, ?, ?)'),
      insertDevice: this.db.prepare<[string, string, Buffer, number, string, number | null]>(
        'INSERT INTO devices (space_id, device_id, credential_hash, added_at, role, until_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      revokeDevice: this.db.prepare<[number, string, string]>('UPDATE devices SET revoked_at = ? WHERE space_id = ? AND device_id = ? AND revoked_at IS NULL'),
      changeDevice: this.db.prepare<[DeviceRole, number | null, string, string]>(
        'UPDATE devices SET role = ?, until_at = ? WHERE space_id = ? AND device_id = ? AND revoked_at IS NULL',
      ),
      selectDeviceByCredential: this.db.prepare<[string, Buffer], { device_id: string; revoked_at: number | null; role: DeviceRole; until_at: number | null }>(
        'SELECT device_id, revoked_at, role, until_at FROM devices WHERE space_id = ? AND credential_hash = ?',
      ),
      countDevices: this.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM devices WHERE space_id = ?'),
      touchDevice: this.db.prepare<[number, string, string]>('UPDATE devices SET last_seen_at = ? WHERE space_id = ? AND device_id = ?'),
      selectKeyEpochs: this.db.prepare<[string], { epoch: number }>('SELECT epoch FROM key_epochs WHERE space_id = ? ORDER BY epoch'),
      putKeyGrant: this.db.prepare<[string, string, number, string, string]>(
        'INSERT OR REPLACE INTO key_grants (space_id, device_id, chain, by_device, entry) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteKeyGrant: this.db.prepare<[string, string]>('DELETE FROM key_grants WHERE space_id = ? AND device_id = ?'),
      selectKeyGrant: this.db.prepare<[string, string], { chain: number; by_device: string; entry: string }>(
        'SELECT chain, by_device, entry FROM key_grants WHERE space_id = ? AND device_id = ?',
      ),
      newestKeyEpoch: this.db.prepare<[string], { epoch: number | null }>('SELECT MAX(epoch) AS epoch FROM key_epochs WHERE space_id = ?'),
      insertKeyEpoch: this.db.prepare<[string, number, string]>('INSERT INTO key_epochs (space_id, epoch, entry) VALUES (?, ?, ?)'),
      insertEpochSeal: this.db.prepare<[string, number, string, string, string]>(
        'INSERT OR IGNORE INTO epoch_seals (space_id, epoch, device_id, by_device, sealed) VALUES (?, ?, ?, ?, ?)',
      ),
      selectEpochSeals: this.db.prepare<[string, string], { epoch: number; by_device: string; sealed: string }>(
        'SELECT epoch, by_device, sealed FROM epoch_seals WHERE space_id = ? AND device_id = ? ORDER BY epoch',
      ),
      purgePairings: this.db.prepare<[number]>('DELETE FROM pairings WHERE expires_at <= ?'),
      countPairings: this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM pairings'),
      countPairingsFrom: this.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM pairings WHERE address = ?'),
      insertPairing: this.db.prepare<[PairingRow]>(
        `INSERT OR IGNORE INTO pairings (code, joining_agree, joining_sign, address, expires_at, stage, space_id, admin_agree, admin_sign, sealed)
         VALUES (@code, @joining_agree, @joining_sign, @address, @expires_at, @stage, @space_id, @admin_agree, @admin_sign, @sealed)`,
      ),
      selectPairing: this.db.prepare<[string], PairingRow>('SELECT * FROM pairings WHERE code = ?'),
      updatePairingStage: this.db.prepare<[ReturnType<typeof stageColumns> & { code: string }]>(
        'UPDATE pairings SET stage = @stage, space_id = @space_id, admin_agree = @admin_agree, admin_sign = @admin_sign, sealed = @sealed WHERE code = @code',
      ),
      deletePairing: this.db.prepare<[string]>('DELETE FROM pairings WHERE code = ?'),
      selectDevicesSeen: this.db.prepare<[string], { device_id: string; last_seen_at: number }>(
        'SELECT device_id, last_seen_at FROM devices WHERE space_id = ? AND last_seen_at IS NOT NULL',
      ),
    }
  }

  async createSpace(spaceId: string, credentialHash: Uint8Array): Promise<CreateSpaceResult> {
    this.assertOpen()
    const inserted = this.statements.insertSpace.run(spaceId, toBuffer(credentialHash), this.now())
    if (inserted.changes === 1) return 'created'
    const stored = this.readHash(spaceId)
    return stored !== null && timingSafeEqualBytes(stored, credentialHash) ? 'exists' : 'conflict'
  }

  async getCredentialHash(spaceId: string): Promise<Uint8Array | null> {
    this.assertOpen()
    return this.readHash(spaceId)
  }

  async listDeviceEntries(spaceId: string): Promise<string[]> {
    this.assertOpen()
    return this.statements.selectDeviceEntries.all(spaceId).map((row) => row.entry)
  }

  async appendDeviceEntry(spaceId: string, seq: number, entry: string, effect: DeviceEffect, grant?: StoredKeyGrant): Promise<AppendDeviceEntryResult> {
    this.assertOpen()
    if (this.readHash(spaceId) === null) throw new UnknownSpaceError(spaceId)
    // One transaction: the entry takes its seq only if it is the next one, and what it grants or
    // takes away is written with it, so no credential is ever valid without its entry.
    return this.db.transaction((): AppendDeviceEntryResult => {
      if (this.statements.countDeviceEntries.get(spaceId)!.n !== seq) return 'conflict'
      this.statements.insertDeviceEntry.run(spaceId, seq, entry)
      if (effect.kind === 'add') this.statements.insertDevice.run(spaceId, effect.deviceId, toBuffer(effect.credentialHash), effect.at, effect.role, effect.until)
      else if (effect.kind === 'revoke') this.statements.revokeDevice.run(effect.at, spaceId, effect.deviceId)
      else this.statements.changeDevice.run(effect.role, effect.until, spaceId, effect.deviceId)
      // A grant was made for the role the device had: it goes with a change or a revocation.
      if (effect.kind !== 'add') this.statements.deleteKeyGrant.run(spaceId, effect.deviceId)
      if (grant !== undefined) this.statements.putKeyGrant.run(spaceId, grant.deviceId, grant.chain, grant.by, grant.entry)
      return 'appended'
    })()
  }

  async findDevice(spaceId: string, credentialHash: Uint8Array): Promise<DeviceCredential | null> {
    this.assertOpen()
    const row = this.statements.selectDeviceByCredential.get(spaceId, toBuffer(credentialHash))
    return row ? { deviceId: row.device_id, revoked: row.revoked_at !== null, role: row.role, until: row.until_at } : null
  }

  async countDevices(spaceId: string): Promise<number> {
    this.assertOpen()
    return this.statements.countDevices.get(spaceId)!.n
  }

  async touchDevice(spaceId: string, deviceId: string, at: number): Promise<void> {
    this.assertOpen()
    this.statements.touchDevice.run(at, spaceId, deviceId)
  }

  async devicesLastSeen(spaceId: string): Promise<Map<string, number>> {
    this.assertOpen()
    return new Map(this.statements.selectDevicesSeen.all(spaceId).map((row) => [row.device_id, row.last_seen_at]))
  }

  async listKeyEpochs(spaceId: string): Promise<number[]> {
    this.assertOpen()
    return this.statements.selectKeyEpochs.all(spaceId).map((row) => row.epoch)
  }

  async publishKeyEpoch(spaceId: string, epoch: number, entry: string, by: string, seals: ReadonlyMap<string, string>): Promise<PublishKeyEpochResult> {
    this.assertOpen()
    if (this.readHash(spaceId) === null) throw new UnknownSpaceError(spaceId)
    // One transaction: two administrators' rotations cannot both pass the check, and no device
    // is ever served half an epoch's seals.
    return this.db.transaction((): PublishKeyEpochResult => {
      const newest = this.statements.newestKeyEpoch.get(spaceId)!.epoch
      if (newest !== null && newest >= epoch) return 'conflict'
      this.statements.insertKeyEpoch.run(spaceId, epoch, entry)
      for (const [deviceId, sealed] of seals) this.statements.insertEpochSeal.run(spaceId, epoch, deviceId, by, sealed)
      return 'published'
    })()
  }

  async grantKeyEpoch(spaceId: string, epoch: number, deviceId: string, by: string, sealed: string): Promise<GrantKeyEpochResult> {
    this.assertOpen()
    return this.statements.insertEpochSeal.run(spaceId, epoch, deviceId, by, sealed).changes === 1 ? 'granted' : 'conflict'
  }

  async listEpochSeals(spaceId: string, deviceId: string): Promise<StoredEpochSeal[]> {
    this.assertOpen()
    return this.statements.selectEpochSeals.all(spaceId, deviceId).map((row) => ({ epoch: row.epoch, by: row.by_device, sealed: row.sealed }))
  }

  async putKeyGrant(spaceId: string, grant: StoredKeyGrant): Promise<PutKeyGrantResult> {
    this.assertOpen()
    if (this.readHash(spaceId) === null) throw new UnknownSpaceError(spaceId)
    // With the registry's length read in the same transaction: a change appended since the route's
    // check makes the grant stale, never stored.
    return this.db.transaction((): PutKeyGrantResult => {
      if (this.statements.countDeviceEntries.get(spaceId)!.n !== grant.chain) return 'conflict'
      this.statements.putKeyGrant.run(spaceId, grant.deviceId, grant.chain, grant.by, grant.entry)
      return 'stored'
    })()
  }

  async getKeyGrant(spaceId: string, deviceId: string): Promise<StoredKeyGrant | null> {
    this.assertOpen()
    const row = this.statements.selectKeyGrant.get(spaceId, deviceId)
    return row ? { deviceId, chain: row.chain, by: row.by_device, entry: row.entry } : null
  }

  async loadUpdates(spaceId: string, roomId: string, afterSeq = 0): Promise<StoredUpdates> {
    this.assertOpen()
    const rows = this.statements.selectUpdates.all(spaceId, roomId, afterSeq)
    return { updates: rows.map((row) => toBytes(row.data)), lastSeq: rows.at(-1)?.seq ?? 0 }
  }

  async admitRoom(spaceId: string, roomId: string, maxRooms: number): Promise<AdmitRoomResult> {
    this.assertOpen()
    // One transaction: two devices opening new rooms at once cannot both pass the count.
    return this.db.transaction((): AdmitRoomResult => {
      if (this.statements.selectRoom.get(spaceId, roomId)) return 'admitted'
      if ((this.statements.countRooms.get(spaceId)?.n ?? 0) >= maxRooms) return 'limit'
      try {
        this.statements.insertRoom.run(spaceId, roomId, this.now())
      } catch (error) {
        if (isForeignKeyError(error)) throw new UnknownSpaceError(spaceId)
        throw error
      }
      return 'admitted'
    })()
  }

  async appendUpdate(spaceId: string, roomId: string, update: Uint8Array, maxSpaceBytes = Infinity): Promise<number> {
    this.assertOpen()
    // One transaction: two rooms of the space appending at once cannot both pass the quota.
    return this.db.transaction((): number => {
      if (maxSpaceBytes !== Infinity) {
        const used = this.statements.selectUsage.get(spaceId)?.envelope_bytes ?? 0
        if (used + update.byteLength > maxSpaceBytes) throw new SpaceQuotaError(spaceId, 'envelope-bytes', used, maxSpaceBytes)
      }
      try {
        return Number(this.statements.insertUpdate.run(spaceId, roomId, toBuffer(update)).lastInsertRowid)
      } catch (error) {
        if (!isForeignKeyError(error)) throw error
        throw this.readHash(spaceId) === null ? new UnknownSpaceError(spaceId) : new UnknownRoomError(spaceId, roomId)
      }
    })()
  }

  async compact(spaceId: string, roomId: string, mergedState: Uint8Array, upToSeq: number): Promise<void> {
    this.assertOpen()
    // The merged row takes the seq of the newest row it replaces, so seq order stays the order in
    // which content arrived, and rows appended after upToSeq stay after it.
    this.db.transaction(() => {
      const last = this.statements.maxSeqUpTo.get(spaceId, roomId, upToSeq)?.seq ?? null
      if (last === null) return
      this.statements.deleteUpTo.run(spaceId, roomId, upToSeq)
      this.statements.insertUpdateAt.run(last, spaceId, roomId, toBuffer(mergedState))
    })()
    // Give the freed pages back to the disk, then fold the WAL (which still holds the pages as
    // they were) into the database and truncate it, so erased rows do not linger there either.
    this.db.pragma('incremental_vacuum')
    this.db.pragma('wal_checkpoint(TRUNCATE)')
  }

  async putAttachment(spaceId: string, hash: string, data: Uint8Array, quota?: AttachmentQuota): Promise<PutAttachmentResult> {
    this.assertOpen()
    return this.db.transaction((): PutAttachmentResult => {
      // A retry of what is stored is no new cost: `exists`, whatever the quota.
      if (this.statements.hasAttachment.get(spaceId, hash)) return 'exists'
      if (quota) {
        const usage = this.statements.selectUsage.get(spaceId)
        if (usage && usage.attachment_count + 1 > quota.maxAttachments) {
          throw new SpaceQuotaError(spaceId, 'attachments', usage.attachment_count, quota.maxAttachments)
        }
        if (usage && usage.attachment_bytes + data.byteLength > quota.maxAttachmentBytes) {
          throw new SpaceQuotaError(spaceId, 'attachment-bytes', usage.attachment_bytes, quota.maxAttachmentBytes)
        }
      }
      try {
        const inserted = this.statements.insertAttachment.run(spaceId, hash, toBuffer(data), this.now())
        return inserted.changes === 1 ? 'created' : 'exists'
      } catch (error) {
        if (isForeignKeyError(error)) throw new UnknownSpaceError(spaceId)
        throw error
      }
    })()
  }

  async spaceUsage(spaceId: string): Promise<SpaceUsage | null> {
    this.assertOpen()
    const row = this.statements.selectUsage.get(spaceId)
    return row ? { envelopeBytes: row.envelope_bytes, attachments: row.attachment_count, attachmentBytes: row.attachment_bytes } : null
  }

  async getAttachment(spaceId: string, hash: string): Promise<Uint8Array | null> {
    this.assertOpen()
    const row = this.statements.selectAttachment.get(spaceId, hash)
    return row ? toBytes(row.data) : null
  }

  async putDigest(spaceId: string, name: string, weight: number, data: Uint8Array, precondition: DigestPrecondition): Promise<PutDigestResult> {
    this.assertOpen()
    // One transaction: the version compared is the version replaced, whatever publishes meanwhile.
    return this.db.transaction((): PutDigestResult => {
      const current = this.readDigestHead(spaceId, name)
      if (!digestPreconditionHolds(precondition, current)) return { status: 'precondition-failed', current }
      if (current !== null) {
        this.statements.replaceDigest.run(weight, toBuffer(data), this.now(), spaceId, name, current.version)
        return { status: 'replaced', version: current.version + 1 }
      }
      try {
        this.statements.insertDigest.run(spaceId, name, weight, toBuffer(data), this.now())
      } catch (error) {
        if (isForeignKeyError(error)) throw new UnknownSpaceError(spaceId)
        throw error
      }
      return { status: 'created', version: 1 }
    })()
  }

  async getDigest(spaceId: string, name: string): Promise<StoredDigest | null> {
    this.assertOpen()
    const row = this.statements.selectDigest.get(spaceId, name)
    return row ? { weight: row.weight, version: row.version, data: toBytes(row.data) } : null
  }

  async getDigestHead(spaceId: string, name: string): Promise<DigestHead | null> {
    this.assertOpen()
    return this.readDigestHead(spaceId, name)
  }

  async openPairing(pairing: StoredPairing, now: number, bounds: PairingBounds): Promise<OpenPairingResult> {
    this.assertOpen()
    // One transaction: the counts are those the insert is judged by.
    return this.db.transaction((): OpenPairingResult => {
      this.statements.purgePairings.run(now)
      if (this.statements.countPairings.get()!.n >= bounds.maxOpen) return 'relay_full'
      if (this.statements.countPairingsFrom.get(pairing.address)!.n >= bounds.maxPerAddress) return 'address_full'
      return this.statements.insertPairing.run(pairingRow(pairing)).changes === 1 ? 'opened' : 'code_taken'
    })()
  }

  async updatePairing<T>(code: string, now: number, decide: PairingDecision<T>): Promise<T | null> {
    this.assertOpen()
    return this.db.transaction((): T | null => {
      this.statements.purgePairings.run(now)
      const row = this.statements.selectPairing.get(code)
      if (row === undefined) return null
      const { change, result } = decide(pairingOfRow(row))
      if (change.kind === 'delete') this.statements.deletePairing.run(code)
      else if (change.kind === 'stage') this.statements.updatePairingStage.run({ code, ...stageColumns(change.stage) })
      return result
    })()
  }

  async countPairings(now: number): Promise<number> {
    this.assertOpen()
    this.statements.purgePairings.run(now)
    return this.statements.countPairings.get()!.n
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }

  /**
   * Creates the schema in a new file, migrates an older one step by step, and refuses a file of
   * another version: a newer one belongs to a newer relay (running this one on it could lose what
   * the newer one relies on); an unversioned one with tables was written by a pre-release relay
   * whose layout this one does not read. Either way that file is left untouched.
   */
  private migrate(path: string): void {
    let version = this.db.pragma('user_version', { simple: true }) as number
    while (version > 0 && version < SCHEMA_VERSION) {
      const step = MIGRATIONS[version]
      if (step === undefined) throw new SchemaVersionError(`${path} has schema version ${version}, which this relay cannot migrate`)
      const from = version
      this.db.transaction(() => {
        this.db.exec(step)
        this.db.pragma(`user_version = ${from + 1}`)
      })()
      version = from + 1
    }
    if (version === SCHEMA_VERSION) return
    if (version > SCHEMA_VERSION) {
      throw new SchemaVersionError(`${path} has schema version ${version}, newer than this relay's ${SCHEMA_VERSION}: run the newer relay, or restore a backup made by this one`)
    }
    const tables = this.db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").get() as { n: number }
    if (tables.n > 0) {
      throw new SchemaVersionError(`${path} was written by a pre-release relay (no schema version): move the data folder away (pre-release data is not migrated)`)
    }
    this.db.transaction(() => {
      this.db.exec(SCHEMA)
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`)
    })()
  }

  private readDigestHead(spaceId: string, name: string): DigestHead | null {
    const row = this.statements.selectDigestHead.get(spaceId, name)
    return row ? { weight: row.weight, version: row.version } : null
  }

  private readHash(spaceId: string): Uint8Array | null {
    const row = this.statements.selectHash.get(spaceId)
    return row ? toBytes(row.credential_hash) : null
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageClosedError()
  }
}

function isForeignKeyError(error: unknown): boolean {
  return (
    error instanceof Error && 'code' in error && (error as { code: unknown }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY'
  )
}
