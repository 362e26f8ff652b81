/**
 * The archive, written as a stream with fflate (the small, maintained zip library of the field:
 * streaming, no dependencies, the same in the browser and in Node). Each file is compressed as it
 * is written; the compressed bytes go to `sink` as they come, so the export never holds a file's
 * text and its compressed form of the whole practice at once: what it holds is the compressed
 * archive (the caller turns the chunks into a Blob, which browsers may keep on disk).
 *
 * Several text files may be open at once (one pass over the agenda feeds the FHIR, CSV and
 * iCalendar files together): fflate writes them to the archive in the order they were opened and
 * keeps the compressed output of the later ones until the earlier ones are closed.
 *
 * No ZIP64: fflate writes classic zip, so one file and the archive stay under 4 GiB (ten years of
 * a ten-practitioner practice compress to a few tens of MiB; attachments are at most 20 MiB each).
 */
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate'

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

  constructor(
    sink: (chunk: Uint8Array) => void,
    /** The files' modification time (the export's date), epoch ms. */
    private readonly mtime: number,
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

  /** A text file (UTF-8), compressed; write to it, then close it. */
  text(path: string): TextEntry {
    this.claim(path)
    const file = new ZipDeflate(path, { level: 6 })
    file.mtime = this.mtime
    this.zip.add(file)
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
    file.mtime = this.mtime
    this.zip.add(file)
    file.push(data, true)
  }

  /** Ends the archive once every file is closed; resolves when the last chunk went to the sink. */
  async finish(): Promise<void> {
    this.zip.end()
    await this.done
  }

  /** Stops writing (a cancelled export): what was written is of no use. */
  abort(): void {
    this.zip.terminate()
  }
}

/** A file name without what file systems refuse (`/ \ : * ? " < > |`, control characters), at most 120 characters. */
export function safeFileName(name: string, fallback = 'fichier'): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, '_').replace(/^[\s.]+|[\s.]+$/g, '')
  return (cleaned || fallback).slice(0, 120)
}
