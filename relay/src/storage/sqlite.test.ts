import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { SQLITE_FILE_NAME, SqliteStorage } from './sqlite-storage'
import { storageContract } from './storage-contract'

const folders: string[] = []
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
  it('opens a database from before rooms: its rows become the main room of their space', async () => {
    const dataDir = tempFolder()
    const old = new Database(join(dataDir, SQLITE_FILE_NAME))
    old.exec(`
      CREATE TABLE spaces (space_id TEXT PRIMARY KEY, credential_hash BLOB NOT NULL, created_at INTEGER NOT NULL) STRICT;
      CREATE TABLE updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, space_id TEXT NOT NULL REFERENCES spaces(space_id), data BLOB NOT NULL) STRICT;
      CREATE INDEX updates_by_space ON updates(space_id, seq);
    `)
    const space = 'spaceOOOOOOOOOOOOOOOOO'
    old.prepare('INSERT INTO spaces VALUES (?, ?, 0)').run(space, Buffer.alloc(32))
    old.prepare('INSERT INTO updates (space_id, data) VALUES (?, ?)').run(space, Buffer.from([7, 7, 7]))
    old.close()
    const storage = new SqliteStorage({ dataDir })
    expect(await storage.loadUpdates(space)).toEqual({ updates: [new Uint8Array([7, 7, 7])], lastSeq: 1 })
    expect(await storage.loadUpdates(space, 'roomXXXXXXXXXXXXXXXXXX')).toEqual({ updates: [], lastSeq: 0 })
    expect(await storage.appendUpdate(space, new Uint8Array([8]), 'roomXXXXXXXXXXXXXXXXXX')).toBe(2)
    // The digests table, newer than that database, is there too.
    expect(await storage.putDigest(space, 'directory', 3, new Uint8Array([9]))).toEqual({ status: 'created' })
    await storage.close()
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
    for (let i = 0; i < 3; i++) await storage.appendUpdate(space, new Uint8Array([1, 2, 3]))
    const seq = await storage.appendUpdate(space, new Uint8Array(marker))
    await storage.appendUpdate(space, new Uint8Array([4, 5, 6]))
    expect(filesHoldingMarker()).not.toEqual([])

    await storage.compact(space, new Uint8Array([0, 0]), seq)
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
    let last = 0
    for (let i = 0; i < 200; i++) last = await storage.appendUpdate(space, new Uint8Array(16 * 1024).fill(i))
    await storage.compact(space, new Uint8Array([0, 0]), last - 1)
    const size = statSync(join(dataDir, SQLITE_FILE_NAME)).size
    // 200 × 16 KiB were written; what stays is two small rows and the schema.
    expect(size).toBeLessThan(256 * 1024)
    await storage.close()
  })
})
