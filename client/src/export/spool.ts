/**
 * Where the export keeps compressed bytes until they can go to the archive in order: each file of
 * the zip is compressed into a spool of its own as it is written (several files are written at
 * once, zip-writer.ts), then copied into the archive when its turn comes, and the spool emptied.
 *
 * `blobSpool` folds the bytes into a Blob every `BLOB_FOLD` bytes: in a browser a Blob's bytes
 * live in the blob store, outside the page's JavaScript heap (Chromium keeps them in the browser
 * process and pages them to disk past its memory quota), so a ten-year export holds one fold's
 * worth of compressed bytes on the heap, not every open file's. `memorySpool` keeps the chunks in
 * an array: small archives and tests.
 */

export interface Spool {
  append(chunk: Uint8Array): void
  /** Bytes appended so far. */
  readonly size: number
  /** The bytes, in order, in chunks; the spool lets go of each as it goes. */
  drain(): AsyncGenerator<Uint8Array<ArrayBuffer>>
}

export type SpoolFactory = () => Spool

/** Bytes gathered in memory before they are folded into the spool's Blob. */
export const BLOB_FOLD = 1024 * 1024

export function memorySpool(): Spool {
  let chunks: Uint8Array<ArrayBuffer>[] = []
  let size = 0
  return {
    append(chunk) {
      // fflate's chunks are plain ArrayBuffer views (never shared memory).
      chunks.push(chunk as Uint8Array<ArrayBuffer>)
      size += chunk.length
    },
    get size() {
      return size
    },
    async *drain() {
      const all = chunks
      chunks = []
      for (let i = 0; i < all.length; i++) {
        yield all[i]!
        all[i] = new Uint8Array(0)
      }
    },
  }
}

/** The chunks folded into Blobs of about BLOB_FOLD bytes, read back a fold at a time. */
export function blobSpool(): Spool {
  const folds: Blob[] = []
  let pending: Uint8Array<ArrayBuffer>[] = []
  let pendingSize = 0
  let size = 0
  const fold = () => {
    if (pending.length === 0) return
    folds.push(new Blob(pending))
    pending = []
    pendingSize = 0
  }
  return {
    append(chunk) {
      pending.push(chunk as Uint8Array<ArrayBuffer>)
      pendingSize += chunk.length
      size += chunk.length
      if (pendingSize >= BLOB_FOLD) fold()
    },
    get size() {
      return size
    },
    async *drain() {
      fold()
      while (folds.length > 0) {
        const blob = folds.shift()!
        yield new Uint8Array(await blob.arrayBuffer())
      }
    },
  }
}

/**
 * The archive's chunks gathered into one Blob (the download), folded every BLOB_FOLD bytes so the
 * page never holds the whole archive in its heap.
 */
export class BlobCollector {
  private parts: Blob[] = []
  private pending: Uint8Array<ArrayBuffer>[] = []
  private pendingSize = 0

  readonly sink = (chunk: Uint8Array): void => {
    this.pending.push(chunk as Uint8Array<ArrayBuffer>)
    this.pendingSize += chunk.length
    if (this.pendingSize >= BLOB_FOLD) this.fold()
  }

  private fold(): void {
    if (this.pending.length === 0) return
    this.parts.push(new Blob(this.pending))
    this.pending = []
    this.pendingSize = 0
  }

  blob(type: string): Blob {
    this.fold()
    return new Blob(this.parts, { type })
  }
}
