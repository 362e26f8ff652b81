/**
 * (d) Storage: the envelope (Y.encodeStateAsUpdate of A's envelope doc) against the plaintext
 * inner-doc states, before and after compacting every doc; and the relay's SQLite data folder,
 * live rows and files, before and after the relay compacts (devices gone, room unloaded, relay
 * stopped gracefully). It stops the relay and closes device A, then restarts the relay (same
 * folder, same port) and reopens A from its IndexedDB, so later scenarios find the practice as before.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SQLITE_FILE_NAME } from '../../../relay/src/storage/sqlite-storage'
import { loadPractice } from '../../../client/src/sync/device/device'
import type { BenchPractice } from '../fixture'
import type { Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'

export interface RelayStorageFigures {
  rows: number
  /** Pages of relay.db that hold nothing (zeroed by secure_delete, not returned to the disk). */
  freeBytes: number
  rowBytes: number
  folderBytes: number
  files: Record<string, number>
}

export function relayStorage(dataDir: string, spaceId: string): RelayStorageFigures {
  const files: Record<string, number> = {}
  for (const name of readdirSync(dataDir)) files[name] = statSync(join(dataDir, name)).size
  const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true, fileMustExist: true })
  try {
    const row = db.prepare<[string], { rows: number; bytes: number | null }>('SELECT COUNT(*) AS rows, SUM(LENGTH(data)) AS bytes FROM updates WHERE space_id = ?').get(spaceId)
    const pageSize = Number(db.pragma('page_size', { simple: true }))
    const freePages = Number(db.pragma('freelist_count', { simple: true }))
    return { rows: row?.rows ?? 0, freeBytes: pageSize * freePages, rowBytes: row?.bytes ?? 0, folderBytes: Object.values(files).reduce((a, b) => a + b, 0), files }
  } finally {
    db.close()
  }
}

export interface StorageResult {
  rows: Row[]
  details: Record<string, unknown>
}

async function runStorage(p: BenchPractice, log: (line: string) => void): Promise<StorageResult> {
  const { space } = p.a
  const plaintext = [...p.plaintext.values()].reduce((n, u) => n + u.byteLength, 0)
  const before = { envelope: space.inspect.envelopeStats().bytes, entries: space.inspect.envelopeStats().entries }
  const relayBefore = relayStorage(p.relay.dataDir, p.a.record.spaceId)
  log(`  (d) before: envelope ${before.envelope} B in ${before.entries} entries; relay ${relayBefore.rows} rows, ${relayBefore.rowBytes} B`)
  const compactStarted = performance.now()
  for (const id of p.written.docIds) await space.compact(id)
  await space.whenAcknowledged(180_000)
  const compactMs = performance.now() - compactStarted
  const after = { envelope: space.inspect.envelopeStats().bytes, entries: space.inspect.envelopeStats().entries }
  const relayLoaded = relayStorage(p.relay.dataDir, p.a.record.spaceId)
  // The last device leaves: the room unloads and compacts; a graceful stop waits for that.
  await space.destroy()
  await p.relay.stop('SIGTERM')
  const relayAfter = relayStorage(p.relay.dataDir, p.a.record.spaceId)
  log(`  (d) after: envelope ${after.envelope} B in ${after.entries} entries; relay ${relayAfter.rows} rows, ${relayAfter.rowBytes} B, folder ${relayAfter.folderBytes} B`)
  const single = 'single measurement'
  const row = (metric: string, ours: number, unit: Row['unit'] = 'bytes', floor: number | null = plaintext): Row => ({ scenario: 'd. storage', metric, unit, ours, floor, stat: single })
  return {
    rows: [
      row('envelope state, as synced', before.envelope),
      row(`envelope state, every doc compacted (${p.written.docIds.length} compactions, ${Math.round(compactMs)} ms)`, after.envelope),
      row('envelope entries, as synced', before.entries, 'count', null),
      row('envelope entries, every doc compacted', after.entries, 'count', null),
      row(`relay rows, as synced (${relayBefore.rows} rows)`, relayBefore.rowBytes),
      row(`relay rows, after device compaction (${relayLoaded.rows} rows)`, relayLoaded.rowBytes),
      row(`relay rows, after relay compaction (${relayAfter.rows} rows)`, relayAfter.rowBytes),
      row('relay data folder, as synced', relayBefore.folderBytes),
      row('relay data folder, after relay compaction', relayAfter.folderBytes),
      row('of which free pages in relay.db', relayAfter.freeBytes),
    ],
    details: { plaintext, before, after, compactMs, relayBefore, relayLoaded, relayAfter },
  }
}

export const storage: Scenario = {
  id: 'storage',
  async run({ log, practice, detail }: BenchContext): Promise<Row[]> {
    const p = await practice()
    const result = await runStorage(p, log)
    detail('storage', result.details)
    await p.relay.restart()
    const reopened = await loadPractice(p.envA)
    if (!reopened) throw new Error('Device A lost its practice after the storage scenario')
    p.a = reopened
    return result.rows
  },
}
