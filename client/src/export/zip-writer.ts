/**
 * The archive, written as a stream with fflate (the small, maintained zip library of the field:
 * streaming, no dependencies, the same in the browser and in Node). Each file is compressed as it
 * is written, so the export never holds a file's text; the archive's bytes go to `sink` as each
 * file is copied in (the app folds them into a Blob, spool.ts, which browsers keep off the heap).
 *
 * Several files are written at once (one pass over the agenda feeds the FHIR, CSV and iCalendar
 * files together), but a zip holds each file's bytes in one piece. So every file is compressed
 * into a spool of its own as it is written (spool.ts: a Blob in the app, off the page's heap), and
 * copied into the archive once it is closed, one file after the other, in the order they were
 * closed: fflate's Zip only ever receives the file it is writing, and holds nothing back (given
 * them all at once, it would keep every later file's compressed bytes in memory until the earlier
 * ones end — for ten years of agenda, every calendar and the CSV).
 *
 * No ZIP64: fflate writes classic zip, so one file and the archive stay under 4 GiB (ten years of
 * a ten-practitioner practice compress to a few tens of MiB; attachments are at most 20 MiB each).
 */
import { Zip, ZipDeflate, ZipPassThrough, type ZipInputFile } from 'fflate'
import { memorySpool, type Spool, type SpoolFactory } from './spool'

/** Text is handed to the compressor in chunks of about this many characters. */
const TEXT_CHUNK = 64 * 1024

export class ZipWriteError extends Error {
  override name = 'ZipWriteError'
}

export interface TextEntry {
  write(text: string): void
  close(): void
}

export class ZipWriter {
  private readonly zip: Zip
  private readonly done: Promise<void>
  private failure: unknown = null
  private readonly names = new Set<string>()
  private readonly encoder = new TextEncoder()
  /** The copies of closed files into the archive, one after the other. */
  private copies: Promise<void> = Promise.resolve()
  private aborted = false

  constructor(
    sink: (chunk: Uint8Array) => void,
    /** The files' modification time (the export's date), epoch ms. */
    private readonly mtime: number,
    /** Where each file's compressed bytes wait for their turn (memory unless told). */
    private readonly spool: SpoolFactory = memorySpool,
  ) {
    let resolve!: () => void
    let reject!: (error: unknown) => void
    this.done = new Promise<void>((res, rej) => {
      resolve = res
      reject = rej
    })
    this.zip = new Zip((error, chunk, final) => {
      if (error) {
        this.failure = error
        reject(new ZipWriteError(`The archive could not be written: ${error.message}`, { cause: error }))
        return
      }
      sink(chunk)
      if (final) resolve()
    })
  }

  /** A name not used yet in the archive: 'a.txt', then 'a (2).txt'… */
  uniqueName(path: string): string {
    if (!this.names.has(path)) return path
    const dot = path.lastIndexOf('.')
    const slash = path.lastIndexOf('/')
    const [stem, ext] = dot > slash + 1 ? [path.slice(0, dot), path.slice(dot)] : [path, '']
    for (let n = 2; ; n++) {
      const candidate = `${stem} (${n})${ext}`
      if (!this.names.has(candidate)) return candidate
    }
  }

  private claim(path: string): void {
    if (this.failure) throw this.failure
    if (this.names.has(path)) throw new ZipWriteError(`Two files named '${path}' in one archive`)
    this.names.add(path)
  }

  /**
   * A file compressed (or passed through) into its own spool; once its last bytes are in, it
   * queues to be copied into the archive.
   */
  private spooled(path: string, file: ZipDeflate | ZipPassThrough): void {
    file.mtime = this.mtime
    const spool = this.spool()
    file.ondata = (error, chunk, final) => {
      if (error) {
        this.failure ??= error
        return
      }
      spool.append(chunk)
      if (final) {
        const entry: ZipInputFile = { filename: path, size: file.size, crc: file.crc, compression: file.compression, mtime: this.mtime }
        if (file instanceof ZipDeflate) entry.flag = file.flag
        this.copies = this.copies.then(() => this.copy(entry, spool)).catch((failure: unknown) => {
          this.failure ??= failure
        })
      }
    }
  }

  /** One closed file into the archive: the zip writes it at once (no file is ahead of it). */
  private async copy(entry: ZipInputFile, spool: Spool): Promise<void> {
    if (this.aborted || this.failure) return
    this.zip.add(entry)
    const write = entry.ondata!
    for await (const chunk of spool.drain()) {
      if (this.aborted) return
      write(null, chunk, false)
    }
    write(null, new Uint8Array(0), true)
  }

  /** A text file (UTF-8), compressed; write to it, then close it. */
  text(path: string): TextEntry {
    this.claim(path)
    const file = new ZipDeflate(path, { level: 6 })
    this.spooled(path, file)
    let pending = ''
    const flush = (final: boolean) => {
      file.push(this.encoder.encode(pending), final)
      pending = ''
    }
    let closed = false
    return {
      write: (text: string) => {
        if (closed) throw new ZipWriteError(`'${path}' is already closed`)
        pending += text
        if (pending.length >= TEXT_CHUNK) flush(false)
      },
      close: () => {
        if (closed) return
        closed = true
        flush(true)
      },
    }
  }

  /** A whole file at once: `compress` false for bytes that are compressed already (JPEG, PDF). */
  bytes(path: string, data: Uint8Array, compress: boolean): void {
    this.claim(path)
    const file = compress ? new ZipDeflate(path, { level: 6 }) : new ZipPassThrough(path)
    this.spooled(path, file)
    file.push(data, true)
  }

  /** Ends the archive once every file is closed and copied; resolves when the last chunk went to the sink. */
  async finish(): Promise<void> {
    await this.copies
    if (this.failure) throw this.failure instanceof ZipWriteError ? this.failure : new ZipWriteError(`The archive could not be written: ${String(this.failure)}`, { cause: this.failure })
    this.zip.end()
    await this.done
  }

  /** Stops writing (a cancelled export): what was written is of no use. */
  abort(): void {
    this.aborted = true
    this.zip.terminate()
  }
}

/** A file name without what file systems refuse (`/ \ : * ? " < > |`, control characters), at most 120 characters. */
export function safeFileName(name: string, fallback = 'fichier'): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, '_').replace(/^[\s.]+|[\s.]+$/g, '')
  return (cleaned || fallback).slice(0, 120)
}
