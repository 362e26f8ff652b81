/**
 * A room's rows read from PostgreSQL as raw bytes: `COPY (SELECT seq, data …) TO STDOUT (FORMAT
 * binary)`, parsed here.
 *
 * Why not a SELECT: node-postgres decodes every field of a result row into a JS string (UTF-8),
 * whatever its type or format, then parses it: a `bytea` as hex (two characters per byte), or as
 * base64 when asked for (postgres-bytea.ts). For the rows of a room (ciphertext, megabytes) that
 * string and its decode were where a PostgreSQL relay's CPU went during a fresh device's join
 * (docs/performance.md « (17f) »). COPY's data arrives as CopyData messages, which the driver
 * hands over as the bytes received: a row's bytes are copied once, out of the driver's buffer
 * (which it reuses for what arrives next), and never become a string.
 *
 * COPY takes no bind parameters: the ids go in as literals escaped by the driver (pg.escapeLiteral,
 * which is safe whatever standard_conforming_strings says), the seq as a checked integer.
 *
 * The query is a pg "submittable": the client sends it when the connection is free and hands it
 * the messages that answer it. A server error (ErrorResponse, then ReadyForQuery) and a lost
 * connection (handleError alone) both reject; so does a stream that is not the binary COPY format
 * of two columns (CopyFormatError), once the server is done sending it.
 */
import pg from 'pg'

/** The server's COPY data is not what this reader asked for. */
export class CopyFormatError extends Error {
  override name = 'CopyFormatError'
}

export interface SeqRow {
  seq: number
  data: Uint8Array
}

/** PGCOPY\n\377\r\n\0: the start of every binary COPY stream. */
const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00])
const INT8_BYTES = 8

/** The statement that copies a room's rows after `afterSeq`, in seq order. */
export function copyRoomRowsSql(spaceId: string, roomId: string, afterSeq: number): string {
  if (!Number.isSafeInteger(afterSeq)) throw new RangeError(`afterSeq ${afterSeq} is not an integer`)
  return `COPY (SELECT seq, data FROM updates WHERE space_id = ${pg.escapeLiteral(spaceId)} AND room_id = ${pg.escapeLiteral(roomId)} AND seq > ${afterSeq} ORDER BY seq) TO STDOUT (FORMAT binary)`
}

/** Runs `sql` (a COPY … TO STDOUT (FORMAT binary) of an int8 and a non-null bytea) on `client`. */
export function copySeqRows(client: pg.ClientBase, sql: string): Promise<SeqRow[]> {
  return new Promise((resolve, reject) => {
    void client.query(new BinaryCopyQuery(sql, resolve, reject))
  })
}

/** The messages pg's client hands to its active query, as far as a COPY TO answer goes. */
class BinaryCopyQuery implements pg.Submittable {
  private readonly parser = new BinaryCopyParser()
  private failure: Error | undefined
  private settled = false

  constructor(
    private readonly text: string,
    private readonly resolve: (rows: SeqRow[]) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  submit(connection: pg.Connection): void {
    connection.query(this.text)
  }

  handleCopyData(message: { chunk: Buffer }): void {
    if (this.failure !== undefined) return
    try {
      this.parser.push(message.chunk)
    } catch (error) {
      this.failure = error as Error
    }
  }

  handleCommandComplete(): void {
    if (this.failure === undefined && !this.parser.ended) this.failure = new CopyFormatError('COPY ended without its trailer')
  }

  handleReadyForQuery(): void {
    if (this.failure !== undefined) this.settle(this.failure)
    else this.settle(null)
  }

  /** A server error (ReadyForQuery follows) or a lost connection (nothing follows): reject now. */
  handleError(error: Error): void {
    this.settle(error)
  }

  handleRowDescription(): void {
    this.failure ??= new CopyFormatError('a COPY answered with a result set')
  }

  handleDataRow(): void {}

  handleEmptyQuery(): void {
    this.failure ??= new CopyFormatError('a COPY answered as an empty query')
  }

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: pg.Connection): void {
    // Never asked for; end it so the connection is not left waiting for data. (pg's Connection
    // has sendCopyFail; its published types leave it out.)
    this.failure ??= new CopyFormatError('a COPY TO answered as a COPY FROM')
    const copying = connection as pg.Connection & { sendCopyFail(message: string): void }
    copying.sendCopyFail('not expected')
  }

  private settle(error: Error | null): void {
    if (this.settled) return
    this.settled = true
    if (error === null) this.resolve(this.parser.rows)
    else this.reject(error)
  }
}

type Need = 'header' | 'extension' | 'fields' | 'seq-length' | 'seq' | 'data-length' | 'data' | 'ended'

/**
 * The binary COPY format (PostgreSQL's « COPY », « Binary Format »): a header, then per row a field
 * count, and per field a length and its bytes; -1 as a field count ends the stream. Chunks may cut
 * anywhere: the parser takes whole units as they become available.
 */
export class BinaryCopyParser {
  readonly rows: SeqRow[] = []
  private readonly queue: Buffer[] = []
  private queued = 0
  private need: Need = 'header'
  private length = SIGNATURE.length + 8
  private seq = 0

  get ended(): boolean {
    return this.need === 'ended'
  }

  push(chunk: Buffer): void {
    if (this.need === 'ended') {
      if (chunk.byteLength > 0) throw new CopyFormatError('COPY data after its trailer')
      return
    }
    // A copy: the driver reuses the buffer the chunk lies in for the bytes that arrive next.
    this.queue.push(Buffer.from(chunk))
    this.queued += chunk.byteLength
    for (let unit = this.take(this.length); unit !== null; unit = this.take(this.length)) this.read(unit)
  }

  private read(unit: Buffer): void {
    switch (this.need) {
      case 'header': {
        if (!unit.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new CopyFormatError('not a binary COPY stream')
        const extension = unit.readInt32BE(SIGNATURE.length + 4)
        if (extension < 0) throw new CopyFormatError('a negative header extension')
        this.expect(extension > 0 ? 'extension' : 'fields', extension > 0 ? extension : 2)
        return
      }
      case 'extension':
        this.expect('fields', 2)
        return
      case 'fields': {
        const fields = unit.readInt16BE(0)
        if (fields === -1) {
          this.need = 'ended'
          if (this.queued > 0) throw new CopyFormatError('COPY data after its trailer')
          return
        }
        if (fields !== 2) throw new CopyFormatError(`a row of ${fields} fields, not 2`)
        this.expect('seq-length', 4)
        return
      }
      case 'seq-length':
        if (unit.readInt32BE(0) !== INT8_BYTES) throw new CopyFormatError('a seq that is not an int8')
        this.expect('seq', INT8_BYTES)
        return
      case 'seq': {
        const seq = unit.readBigInt64BE(0)
        if (seq > BigInt(Number.MAX_SAFE_INTEGER) || seq < 0n) throw new CopyFormatError(`seq ${seq} beyond the integers the relay stores`)
        this.seq = Number(seq)
        this.expect('data-length', 4)
        return
      }
      case 'data-length': {
        const length = unit.readInt32BE(0)
        if (length < 0) throw new CopyFormatError('a null row')
        if (length === 0) this.row(new Uint8Array(0))
        else this.expect('data', length)
        return
      }
      case 'data':
        this.row(new Uint8Array(unit.buffer, unit.byteOffset, unit.byteLength))
        return
      case 'ended':
        return
    }
  }

  private row(data: Uint8Array): void {
    this.rows.push({ seq: this.seq, data })
    this.expect('fields', 2)
  }

  private expect(need: Need, length: number): void {
    this.need = need
    this.length = length
  }

  /** The next `length` bytes, or null until that many have arrived. */
  private take(length: number): Buffer | null {
    if (this.need === 'ended' || this.queued < length) return null
    let head = this.queue[0]!
    if (head.byteLength < length) {
      head = Buffer.concat(this.queue)
      this.queue.length = 0
      this.queue.push(head)
    }
    const unit = head.subarray(0, length)
    if (head.byteLength === length) this.queue.shift()
    else this.queue[0] = head.subarray(length)
    this.queued -= length
    return unit
  }
}
