/**
 * The row writer's worker (row-writer.ts): the page's requests, run by RowDatabases in the order
 * the page asked them, per database.
 */
import type { RowWriterReply, RowWriterRequest } from './row-writer'
import { RowDatabases } from './row-databases'

const databases = new RowDatabases()

async function handle(request: RowWriterRequest): Promise<RowWriterReply> {
  try {
    if (request.op === 'add') {
      await databases.add(request.db, request.row)
      return { id: request.id, ok: true }
    }
    if (request.op === 'replace') return { id: request.id, ok: true, key: await databases.replace(request.db, request.rows) }
    databases.close(request.db)
    return { id: request.id, ok: true }
  } catch (error) {
    const named = error instanceof Error || error instanceof DOMException ? error : new Error(String(error))
    return { id: request.id, ok: false, name: named.name, message: named.message }
  }
}

// In order per database: each request waits for the one before on the same database, so its
// writes keep their order even while the first opens the connection; databases do not wait for
// each other.
const queues = new Map<string, Promise<unknown>>()
self.onmessage = (event: MessageEvent<RowWriterRequest>) => {
  const request = event.data
  const next = (queues.get(request.db) ?? Promise.resolve()).then(async () => self.postMessage(await handle(request)))
  queues.set(request.db, next)
  void next.then(() => {
    if (queues.get(request.db) === next) queues.delete(request.db)
  })
}
