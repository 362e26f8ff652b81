/**
 * Who writes a room's rows into its IndexedDB database (local-store.ts): this thread, or a worker.
 *
 * IndexedDB serializes a value on the thread that calls `add`, and Chromium then wraps a large
 * one into a blob: for the main room of 20,000 patients (a 31 MB sync step 2, or the 31 MB
 * snapshot a compaction's rewrite stores) that was 0.6–1.1 s of one main-thread task after a join,
 * with nothing of the app's code in it (docs/performance.md « (10) »). A worker holding its own
 * connection to the same database does the same writes off the page's thread; the page only
 * copies the bytes into the message (a memcpy).
 *
 *   add(db, row)          one row, in a transaction of its own; resolves once committed
 *   replace(db, rows)     a snapshot's rows, and every row before them deleted, in ONE transaction;
 *                         resolves with the last new row's key once committed (the caller reads from after it)
 *
 * Writes to one database run in the order they were asked, whichever thread runs them: the worker
 * handles its messages in order and IndexedDB orders a connection's readwrite transactions on a
 * store by creation. A failure rejects with an Error named as the DOMException was (QuotaExceededError…), so
 * the room reports it as before. A worker that fails to start or dies is not asked again: its
 * pending writes reject, and later ones run on the page (`usable` turns false).
 */

export interface RowWriter {
  /** False once the writer cannot write any more (its worker died): write on the page instead. */
  readonly usable: boolean
  add(dbName: string, row: Uint8Array): Promise<void>
  replace(dbName: string, rows: readonly Uint8Array[]): Promise<number>
  /** The database is going away (the room closed): the writer lets its connection go. */
  close(dbName: string): void
}

/** The worker's protocol (row-writer-worker.ts). */
export type RowWriterRequest =
  | { readonly id: number; readonly op: 'add'; readonly db: string; readonly row: Uint8Array }
  | { readonly id: number; readonly op: 'replace'; readonly db: string; readonly rows: readonly Uint8Array[] }
  | { readonly id: number; readonly op: 'close'; readonly db: string }

export type RowWriterReply =
  | { readonly id: number; readonly ok: true; readonly key?: number }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly message: string }

/** A request before its id is given. */
type RequestBody = RowWriterRequest extends infer R ? (R extends RowWriterRequest ? Omit<R, 'id'> : never) : never

export class RowWriteError extends Error {
  constructor(name: string, message: string) {
    super(message)
    this.name = name
  }
}

interface Pending {
  resolve(reply: { key?: number }): void
  reject(error: Error): void
}

/** The app's writer: one worker for every room of the page. */
export class WorkerRowWriter implements RowWriter {
  private worker: Worker | null = null
  private broken = false
  private nextId = 1
  private readonly pending = new Map<number, Pending>()

  constructor(private readonly createWorker: () => Worker) {}

  get usable(): boolean {
    return !this.broken
  }

  async add(dbName: string, row: Uint8Array): Promise<void> {
    await this.send({ op: 'add', db: dbName, row })
  }

  async replace(dbName: string, rows: readonly Uint8Array[]): Promise<number> {
    const { key } = await this.send({ op: 'replace', db: dbName, rows })
    if (typeof key !== 'number') throw new RowWriteError('RowWriteError', 'The row writer answered a replace without its key')
    return key
  }

  close(dbName: string): void {
    if (this.worker === null || this.broken) return
    void this.send({ op: 'close', db: dbName }).catch(() => undefined)
  }

  dispose(): void {
    this.worker?.terminate()
    this.worker = null
    this.fail(new RowWriteError('RowWriteError', 'The row writer was disposed'))
  }

  private send(request: RequestBody): Promise<{ key?: number }> {
    if (this.broken) return Promise.reject(new RowWriteError('RowWriteError', 'The row writer stopped'))
    const worker = this.start()
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ ...request, id } as RowWriterRequest)
    })
  }

  private start(): Worker {
    if (this.worker) return this.worker
    const worker = this.createWorker()
    worker.addEventListener('message', (event: MessageEvent<RowWriterReply>) => {
      const reply = event.data
      const pending = this.pending.get(reply.id)
      if (!pending) return
      this.pending.delete(reply.id)
      if (reply.ok) pending.resolve(reply.key === undefined ? {} : { key: reply.key })
      else pending.reject(new RowWriteError(reply.name, reply.message))
    })
    worker.addEventListener('error', (event) => {
      event.preventDefault()
      this.fail(new RowWriteError('RowWriteError', 'The row writer worker failed'))
    })
    this.worker = worker
    return worker
  }

  private fail(error: Error): void {
    this.broken = true
    for (const pending of this.pending.values()) pending.reject(error)
    this.pending.clear()
  }
}

let shared: WorkerRowWriter | null = null

/** The page's writer: one bundled worker (Vite), started on the first write. */
export function browserRowWriter(): RowWriter {
  shared ??= new WorkerRowWriter(() => new Worker(new URL('./row-writer-worker.ts', import.meta.url), { type: 'module', name: 'tournee-rows' }))
  return shared
}
