/** The export's spools (spool.ts): bytes back in order, folded into Blobs, the archive gathered whole. */
import { describe, expect, it } from 'vitest'
import { BLOB_FOLD, BlobCollector, blobSpool, memorySpool, type SpoolFactory } from './spool'

/** Chunks of 1 … 300 KiB, each filled with its index, across several folds. */
function chunks(): Uint8Array[] {
  return Array.from({ length: 12 }, (_, i) => new Uint8Array(((i * 37) % 300) * 1024 + 1).fill(i))
}

async function drained(factory: SpoolFactory, input: readonly Uint8Array[]): Promise<{ bytes: Buffer; pieces: number; largest: number }> {
  const spool = factory()
  for (const chunk of input) spool.append(chunk)
  expect(spool.size).toBe(input.reduce((n, c) => n + c.length, 0))
  const out: Uint8Array[] = []
  let pieces = 0
  let largest = 0
  for await (const piece of spool.drain()) {
    out.push(piece)
    pieces++
    largest = Math.max(largest, piece.length)
  }
  return { bytes: Buffer.concat(out), pieces, largest }
}

describe('spools', () => {
  const input = chunks()
  const expected = Buffer.concat(input)

  it('give back what was appended, in order (memory)', async () => {
    expect((await drained(memorySpool, input)).bytes.equals(expected)).toBe(true)
  })

  it('give back what was appended, in order, a fold of about a MiB at a time (Blob)', async () => {
    const { bytes, pieces, largest } = await drained(blobSpool, input)
    expect(bytes.equals(expected)).toBe(true)
    expect(pieces).toBeGreaterThan(1)
    // A fold closes once it reaches BLOB_FOLD: at most one chunk over.
    expect(largest).toBeLessThan(BLOB_FOLD + 300 * 1024 + 1)
  })

  it('gather the archive into one Blob of every chunk, in order', async () => {
    const collector = new BlobCollector()
    for (const chunk of input) collector.sink(chunk)
    const blob = collector.blob('application/zip')
    expect(blob.type).toBe('application/zip')
    expect(Buffer.from(await blob.arrayBuffer()).equals(expected)).toBe(true)
  })
})
