import { describe, expect, it } from 'vitest'
import { BinaryCopyParser, CopyFormatError, copyRoomRowsSql, type SeqRow } from './postgres-copy-rows'

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')

function int16(value: number): Buffer {
  const bytes = Buffer.alloc(2)
  bytes.writeInt16BE(value)
  return bytes
}

function int32(value: number): Buffer {
  const bytes = Buffer.alloc(4)
  bytes.writeInt32BE(value)
  return bytes
}

/** What PostgreSQL sends for COPY (SELECT seq, data …) TO STDOUT (FORMAT binary), as one stream. */
function copyStream(rows: SeqRow[], extension = Buffer.alloc(0)): Buffer {
  const parts = [SIGNATURE, int32(0), int32(extension.byteLength), extension]
  for (const row of rows) {
    const seq = Buffer.alloc(8)
    seq.writeBigInt64BE(BigInt(row.seq))
    parts.push(int16(2), int32(8), seq, int32(row.data.byteLength), Buffer.from(row.data))
  }
  parts.push(int16(-1))
  return Buffer.concat(parts)
}

/** Mulberry32: the test's chunk cuts, reproducible from the printed seed. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function parse(chunks: Buffer[]): SeqRow[] {
  const parser = new BinaryCopyParser()
  for (const chunk of chunks) parser.push(chunk)
  expect(parser.ended).toBe(true)
  return parser.rows
}

const ROWS: SeqRow[] = [
  { seq: 1, data: Uint8Array.from({ length: 256 }, (_, index) => index) },
  { seq: 2, data: new Uint8Array(0) },
  { seq: 7, data: new Uint8Array([0xff]) },
  { seq: 2 ** 40, data: Uint8Array.from({ length: 70_000 }, (_, index) => (index * 13) & 0xff) },
]

describe('binary COPY of a room’s rows', () => {
  it('reads every row, whole or cut anywhere: at once, byte by byte, and at random cuts', () => {
    const stream = copyStream(ROWS, Buffer.from('ext'))
    expect(parse([stream])).toEqual(ROWS)
    const small = copyStream(ROWS.slice(0, 3))
    expect(parse([...small].map((byte) => Buffer.from([byte])))).toEqual(ROWS.slice(0, 3))
    const seed = Number(process.env.TEST_SEED ?? Math.floor(Math.random() * 1_000_000))
    console.log(`postgres-copy-rows cut seed ${seed} (TEST_SEED=${seed} to replay)`)
    const next = random(seed)
    for (let round = 0; round < 20; round++) {
      const chunks: Buffer[] = []
      for (let at = 0; at < stream.byteLength; ) {
        const length = 1 + Math.floor(next() * 3000)
        chunks.push(stream.subarray(at, at + length))
        at += length
      }
      expect(parse(chunks)).toEqual(ROWS)
    }
    expect(parse([copyStream([])])).toEqual([])
  })

  it('keeps its rows when the driver reuses the buffer a chunk came in', () => {
    const stream = copyStream(ROWS)
    const parser = new BinaryCopyParser()
    const reused = Buffer.alloc(stream.byteLength)
    stream.copy(reused)
    parser.push(reused)
    reused.fill(0)
    expect(parser.rows).toEqual(ROWS)
  })

  it('refuses what is not a binary COPY of a seq and its bytes, with a named error', () => {
    const stream = copyStream(ROWS)
    const refuse = (bytes: Buffer): void => expect(() => new BinaryCopyParser().push(bytes)).toThrow(CopyFormatError)
    refuse(Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\x01', 'latin1'), stream.subarray(11)]))
    refuse(Buffer.concat([stream.subarray(0, 19), int16(3)]))
    refuse(Buffer.concat([stream.subarray(0, 19), int16(2), int32(4)]))
    refuse(Buffer.concat([stream.subarray(0, 19), int16(2), int32(8), Buffer.alloc(8), int32(-1)]))
    refuse(Buffer.concat([stream, Buffer.from([0])]))
    // Cut short: nothing refused yet, but not ended (the query then rejects at CommandComplete).
    const short = new BinaryCopyParser()
    short.push(stream.subarray(0, stream.byteLength - 5))
    expect(short.ended).toBe(false)
  })

  it('puts the ids in the statement as escaped literals and the seq as an integer', () => {
    expect(copyRoomRowsSql("sp'ace", 'ro\\om', 3)).toContain("space_id = 'sp''ace' AND room_id =  E'ro\\\\om' AND seq > 3")
    expect(() => copyRoomRowsSql('s', 'r', 1.5)).toThrow(RangeError)
  })
})
