import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { SCHEMA_VERSION, SchemaVersionError, SQLITE_FILE_NAME, SqliteStorage } from './sqlite-storage'
import { storageContract } from './storage-contract'

const folders: string[] = []
const ROOM = 'roomRRRRRRRRRRRRRRRRRR'
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'tournee-sqlite-'))
  folders.push(folder)
  return folder
}

storageContract('SQLite', {
  createLocation: tempFolder,
  open: (dataDir) => new SqliteStorage({ dataDir }),
})

describe('SqliteStorage specifics', () => {
  it('refuses, untouched, a database of a pre-release relay and one of a newer schema', async () => {
    const dataDir = tempFolder()
    const old = new Database(join(dataDir, SQLITE_FILE_NAME))
    old.exec('CREATE TABLE spaces (space_id TEXT PRIMARY KEY, credential_hash BLOB NOT NULL, created_at INTEGER NOT NULL) STRICT;')
    old.close()
    expect(() => new SqliteStorage({ dataDir })).toThrow(SchemaVersionError)
    expect(() => new SqliteStorage({ dataDir })).toThrow(/pre-release relay/)
    const kept = new Database(join(dataDir, SQLITE_FILE_NAME))
    expect(kept.pragma('user_version', { simple: true })).toBe(0)
    kept.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    kept.close()
    expect(() => new SqliteStorage({ dataDir })).toThrow(/newer than this relay/)
  })

  it('migrates a version-1 database: its digests are kept, at version 1, and replaceable by compare-and-swap', async () => {
    const dataDir = tempFolder()
    const v1 = new Database(join(dataDir, SQLITE_FILE_NAME))
    // The version-1 tables that the migration touches, as a relay of that version wrote them.
    v1.exec(`
      CREATE TABLE spaces (space_id TEXT PRIMARY KEY, credential_hash BLOB NOT NULL, created_at INTEGER NOT NULL) STRICT;
      CREATE TABLE rooms (space_id TEXT NOT NULL REFERENCES spaces(space_id), room_id TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (space_id, room_id)) STRICT;
      CREATE TABLE updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, space_id TEXT NOT NULL, room_id TEXT NOT NULL, data BLOB NOT NULL, FOREIGN KEY (space_id, room_id) REFERENCES rooms(space_id, room_id)) STRICT;
      CREATE INDEX updates_by_room ON updates(space_id, room_id, seq);
      CREATE TABLE attachments (space_id TEXT NOT NULL REFERENCES spaces(space_id), hash TEXT NOT NULL, data BLOB NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (space_id, hash)) STRICT, WITHOUT ROWID;
      CREATE TABLE digests (space_id TEXT NOT NULL REFERENCES spaces(space_id), name TEXT NOT NULL, weight INTEGER NOT NULL, data BLOB NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (space_id, name)) STRICT, WITHOUT ROWID;
      INSERT INTO spaces VALUES ('spaceAAAAAAAAAAAAAAAAA', x'01', 0);
      INSERT INTO digests VALUES ('spaceAAAAAAAAAAAAAAAAA', 'directory', 7, x'0102', 0);
    `)
    v1.pragma('user_version = 1')
    v1.close()
    const storage = new SqliteStorage({ dataDir })
    expect(await storage.getDigest('spaceAAAAAAAAAAAAAAAAA', 'directory')).toEqual({ weight: 7, version: 1, data: new Uint8Array([1, 2]) })
    expect(await storage.putDigest('spaceAAAAAAAAAAAAAAAAA', 'directory', 3, new Uint8Array([3]), { kind: 'version', version: 1 })).toEqual({
      status: 'replaced',
      version: 2,
    })
    await storage.close()
    const db = new Database(join(dataDir, SQLITE_FILE_NAME))
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    db.close()
  })

  it('migrates a database of schema 1 or 2, counting what each space already holds', async () => {
    for (const from of [1, 2]) {
      const dataDir = tempFolder()
      const old = new Database(join(dataDir, SQLITE_FILE_NAME))
      // Schema 1 as the relay wrote it (2 adds the digests' version), a space's rows and attachments in it.
      old.exec(`
        CREATE TABLE spaces (space_id TEXT PRIMARY KEY, credential_hash BLOB NOT NULL, created_at INTEGER NOT NULL) STRICT;
        CREATE TABLE rooms (space_id TEXT NOT NULL REFERENCES spaces(space_id), room_id TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (space_id, room_id)) STRICT;
        CREATE TABLE updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, space_id TEXT NOT NULL, room_id TEXT NOT NULL, data BLOB NOT NULL, FOREIGN KEY (space_id, room_id) REFERENCES rooms(space_id, room_id)) STRICT;
        CREATE INDEX updates_by_room ON updates(space_id, room_id, seq);
        CREATE TABLE attachments (space_id TEXT NOT NULL REFERENCES spaces(space_id), hash TEXT NOT NULL, data BLOB NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (space_id, hash)) STRICT, WITHOUT ROWID;
        CREATE TABLE digests (space_id TEXT NOT NULL REFERENCES spaces(space_id), name TEXT NOT NULL, weight INTEGER NOT NULL, data BLOB NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (space_id, name)) STRICT, WITHOUT ROWID;
        INSERT INTO spaces VALUES ('spaceAAAAAAAAAAAAAAAAA', x'00', 0), ('spaceBBBBBBBBBBBBBBBBBB', x'00', 0);
        INSERT INTO rooms VALUES ('spaceAAAAAAAAAAAAAAAAA', '${ROOM}', 0);
        INSERT INTO updates (space_id, room_id, data) VALUES ('spaceAAAAAAAAAAAAAAAAA', '${ROOM}', zeroblob(300)), ('spaceAAAAAAAAAAAAAAAAA', '${ROOM}', zeroblob(20));
        INSERT INTO attachments VALUES ('spaceAAAAAAAAAAAAAAAAA', 'h1', zeroblob(1000), 0);
      `)
      if (from === 2) old.exec('ALTER TABLE digests ADD COLUMN version INTEGER NOT NULL DEFAULT 1')
      old.pragma(`user_version = ${from}`)
      old.close()
      const storage = new SqliteStorage({ dataDir })
      expect(await storage.spaceUsage('spaceAAAAAAAAAAAAAAAAA')).toEqual({ envelopeBytes: 320, attachments: 1, attachmentBytes: 1000 })
      expect(await storage.spaceUsage('spaceBBBBBBBBBBBBBBBBBB')).toEqual({ envelopeBytes: 0, attachments: 0, attachmentBytes: 0 })
      // Its rows still load, and new writes are counted.
      expect((await storage.loadUpdates('spaceAAAAAAAAAAAAAAAAA', ROOM)).updates.map((u) => u.byteLength)).toEqual([300, 20])
      await storage.appendUpdate('spaceAAAAAAAAAAAAAAAAA', ROOM, new Uint8Array(5))
      expect((await storage.spaceUsage('spaceAAAAAAAAAAAAAAAAA'))?.envelopeBytes).toBe(325)
      await storage.close()
      const db = new Database(join(dataDir, SQLITE_FILE_NAME))
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
      db.close()
    }
  })

  it('migrates a version-4 database: its devices, registered before roles, are praticiens with no end date', async () => {
    const dataDir = tempFolder()
    await new SqliteStorage({ dataDir }).close()
    // Version 4 as the relay wrote it: the devices table without role nor until_at, a device in it.
    const v4 = new Database(join(dataDir, SQLITE_FILE_NAME))
    v4.exec(`
      DROP TABLE pairings;
      DROP TABLE key_grants;
      DROP TABLE epoch_seals;
      DROP TABLE key_epochs;
      ALTER TABLE devices DROP COLUMN role;
      ALTER TABLE devices DROP COLUMN until_at;
      INSERT INTO spaces (space_id, credential_hash, created_at) VALUES ('spaceAAAAAAAAAAAAAAAAA', x'00', 0);
      INSERT INTO devices (space_id, device_id, credential_hash, added_at) VALUES ('spaceAAAAAAAAAAAAAAAAA', 'tabletteAAAA', x'0101', 1);
    `)
    v4.pragma('user_version = 4')
    v4.close()
    const storage = new SqliteStorage({ dataDir })
    expect(await storage.findDevice('spaceAAAAAAAAAAAAAAAAA', new Uint8Array([1, 1]))).toEqual({ deviceId: 'tabletteAAAA', revoked: false, role: 'praticien', until: null })
    await storage.close()
    const db = new Database(join(dataDir, SQLITE_FILE_NAME))
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    // The role is checked by the database too: no other value can be written.
    expect(() => db.exec(`UPDATE devices SET role = 'admin'`)).toThrow(/CHECK/)
    db.close()
  })

  it('migrates a version-5 database: its space has no key epoch, and can publish one', async () => {
    const dataDir = tempFolder()
    await new SqliteStorage({ dataDir }).close()
    // Version 5 as the relay wrote it: no key epoch tables, a space in it.
    const v5 = new Database(join(dataDir, SQLITE_FILE_NAME))
    v5.exec(`
      DROP TABLE pairings;
      DROP TABLE key_grants;
      DROP TABLE epoch_seals;
      DROP TABLE key_epochs;
      INSERT INTO spaces (space_id, credential_hash, created_at) VALUES ('spaceAAAAAAAAAAAAAAAAA', x'00', 0);
    `)
    v5.pragma('user_version = 5')
    v5.close()
    const storage = new SqliteStorage({ dataDir })
    expect(await storage.listKeyEpochs('spaceAAAAAAAAAAAAAAAAA')).toEqual([])
    expect(await storage.publishKeyEpoch('spaceAAAAAAAAAAAAAAAAA', 1, '{}', 'admin', new Map([['device', 'sealed']]))).toBe('published')
    expect(await storage.listEpochSeals('spaceAAAAAAAAAAAAAAAAA', 'device')).toEqual([{ epoch: 1, by: 'admin', sealed: 'sealed' }])
    await storage.close()
    const db = new Database(join(dataDir, SQLITE_FILE_NAME))
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    db.close()
  })

  it('migrates a version-6 database: it has no pairings table, and opens pairings after', async () => {
    const dataDir = tempFolder()
    await new SqliteStorage({ dataDir }).close()
    // Version 6 as the relay wrote it: pairings lived in its memory.
    const v6 = new Database(join(dataDir, SQLITE_FILE_NAME))
    v6.exec('DROP TABLE key_grants; DROP TABLE pairings')
    v6.pragma('user_version = 6')
    v6.close()
    const storage = new SqliteStorage({ dataDir })
    expect(await storage.countPairings(0)).toBe(0)
    const pairing = { code: 'AAAAAAAAAA', joining: { agree: 'a', sign: 's' }, address: '203.0.113.9', expiresAt: 10, stage: { kind: 'waiting' } } as const
    expect(await storage.openPairing(pairing, 0, { maxOpen: 10, maxPerAddress: 3 })).toBe('opened')
    await storage.close()
    const db = new Database(join(dataDir, SQLITE_FILE_NAME))
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    // The stage is checked by the database too.
    expect(() => db.exec(`UPDATE pairings SET stage = 'collected'`)).toThrow(/CHECK/)
    db.close()
  })

  it('migrates a version-7 database: its devices have no key grant, and can be given one', async () => {
    const dataDir = tempFolder()
    await new SqliteStorage({ dataDir }).close()
    // Version 7 as the relay wrote it: no key grant table, a space with one registry entry.
    const v7 = new Database(join(dataDir, SQLITE_FILE_NAME))
    v7.exec(`
      DROP TABLE key_grants;
      INSERT INTO spaces (space_id, credential_hash, created_at) VALUES ('spaceAAAAAAAAAAAAAAAAA', x'00', 0);
      INSERT INTO device_entries (space_id, seq, entry) VALUES ('spaceAAAAAAAAAAAAAAAAA', 0, '{}');
    `)
    v7.pragma('user_version = 7')
    v7.close()
    const storage = new SqliteStorage({ dataDir })
    expect(await storage.getKeyGrant('spaceAAAAAAAAAAAAAAAAA', 'device')).toBeNull()
    expect(await storage.putKeyGrant('spaceAAAAAAAAAAAAAAAAA', { deviceId: 'device', chain: 1, by: 'admin', entry: '{}' })).toBe('stored')
    await storage.close()
    const db = new Database(join(dataDir, SQLITE_FILE_NAME))
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    db.close()
  })

  it('writes its schema version into a new database', async () => {
    const dataDir = tempFolder()
    await new SqliteStorage({ dataDir }).close()
    const db = new Database(join(dataDir, SQLITE_FILE_NAME))
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    db.close()
  })

  it('keeps its data in relay.db inside the data folder, creating the folder', async () => {
    const dataDir = join(tempFolder(), 'nested', 'data')
    const storage = new SqliteStorage({ dataDir })
    await storage.createSpace('spaceAAAAAAAAAAAAAAAAA', new Uint8Array(32))
    await storage.close()
    expect(readdirSync(dataDir)).toContain(SQLITE_FILE_NAME)
  })

  it('leaves no trace of a compacted row in the data folder, while open and after close', async () => {
    const dataDir = tempFolder()
    const storage = new SqliteStorage({ dataDir })
    const space = 'spaceAAAAAAAAAAAAAAAAA'
    const marker = Buffer.from('ERASE-ME-'.repeat(64))
    const filesHoldingMarker = (): string[] =>
      readdirSync(dataDir).filter((name) => readFileSync(join(dataDir, name)).includes(marker))
    await storage.createSpace(space, new Uint8Array(32))
    await storage.admitRoom(space, ROOM, 10)
    for (let i = 0; i < 3; i++) await storage.appendUpdate(space, ROOM, new Uint8Array([1, 2, 3]))
    const seq = await storage.appendUpdate(space, ROOM, new Uint8Array(marker))
    await storage.appendUpdate(space, ROOM, new Uint8Array([4, 5, 6]))
    expect(filesHoldingMarker()).not.toEqual([])

    await storage.compact(space, ROOM, new Uint8Array([0, 0]), seq)
    expect(filesHoldingMarker()).toEqual([])
    await storage.close()
    expect(filesHoldingMarker()).toEqual([])
  })

  it('gives the pages a compaction freed back to the disk', async () => {
    // Found by the storage benchmark: without auto_vacuum, relay.db stayed at twice the live data.
    const dataDir = tempFolder()
    const storage = new SqliteStorage({ dataDir })
    const space = 'spaceBBBBBBBBBBBBBBBBBB'
    await storage.createSpace(space, new Uint8Array(32))
    await storage.admitRoom(space, ROOM, 10)
    let last = 0
    for (let i = 0; i < 200; i++) last = await storage.appendUpdate(space, ROOM, new Uint8Array(16 * 1024).fill(i))
    await storage.compact(space, ROOM, new Uint8Array([0, 0]), last - 1)
    const size = statSync(join(dataDir, SQLITE_FILE_NAME)).size
    // 200 × 16 KiB were written; what stays is two small rows and the schema.
    expect(size).toBeLessThan(256 * 1024)
    await storage.close()
  })
})
