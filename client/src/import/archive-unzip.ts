/**
 * Opens an export archive (a zip written by client/src/export/zip-writer.ts) and reads its files
 * one at a time, decompressed as they are read: the import never holds the archive's text whole.
 *
 * A zip ends with its central directory, which lists every file, and the end-of-central-directory
 * record (EOCD) that says where the directory is:
 *
 *   [local header 1][data 1][descriptor 1] … [local header n][data n][descriptor n]
 *   [central directory: one record per file — name, method, crc, sizes, offset of its local header]
 *   [EOCD "PK\x05\x06": count of files, directory's size and offset, comment length]
 *
 * A download cut short has no EOCD (or a directory pointing past the end) and is refused whole
 * before anything is read. The sizes come from the central directory: the export writes its files
 * as a stream, so their local headers carry none. The compressed archive stays in memory (the
 * whole export compresses to ~8 MiB a year of a 10-practitioner practice, docs/export.md); each
 * file is inflated with fflate's streaming `Inflate`, fed `INPUT_SLICE` compressed bytes at a
 * time, so what the reader holds of a file is one decompressed chunk and the line being read.
 * No ZIP64 (the export writes none); CRCs are not checked (fflate's unzipSync did not either):
 * what the import reads is checked line by line, and a damaged stream fails to inflate.
 */
import { Inflate, strFromU8 } from 'fflate'
import { ArchiveImportError } from './archive-error'

/** The archive's files, by path, read on demand. */
export interface ArchiveFiles {
  has(path: string): boolean
  /** A file's bytes, whole (attachments, the manifest); undefined when the archive lacks it. */
  get(path: string): Uint8Array | undefined
  /** A file's text, decoded as UTF-8, in chunks of bounded size (NDJSON read line by line). */
  textChunks(path: string): Generator<string>
}

/** Compressed bytes handed to the inflater at once: its output chunk is at most this times the file's ratio. */
export const INPUT_SLICE = 16 * 1024

const EOCD_SIGNATURE = 0x06054b50
const EOCD_SIZE = 22
const CENTRAL_SIGNATURE = 0x02014b50
const LOCAL_SIGNATURE = 0x04034b50
const STORED = 0
const DEFLATED = 8

interface Entry {
  readonly method: number
  readonly compressedSize: number
  readonly localOffset: number
}

const damaged = (why: string) => new ArchiveImportError('truncated', `l'archive est abîmée (${why}) : rien n'a été importé`)

/** The EOCD's offset: searched back from the end, past a comment of at most 65,535 bytes. */
function findEndRecord(view: DataView): number {
  const from = Math.max(0, view.byteLength - EOCD_SIZE - 0xffff)
  for (let i = view.byteLength - EOCD_SIZE; i >= from; i--) {
    if (view.getUint32(i, true) === EOCD_SIGNATURE) return i
  }
  return -1
}

function readCentralDirectory(bytes: Uint8Array): Map<string, Entry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const end = findEndRecord(view)
  if (end < 0) throw new ArchiveImportError('truncated', "l'archive est incomplète (téléchargement interrompu ?) : rien n'a été importé")
  const count = view.getUint16(end + 10, true)
  const size = view.getUint32(end + 12, true)
  const offset = view.getUint32(end + 16, true)
  if (offset + size > end) throw damaged('répertoire central hors du fichier')
  const entries = new Map<string, Entry>()
  const decoder = new TextDecoder()
  let at = offset
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || view.getUint32(at, true) !== CENTRAL_SIGNATURE) throw damaged('répertoire central illisible')
    const method = view.getUint16(at + 10, true)
    const compressedSize = view.getUint32(at + 20, true)
    const nameLength = view.getUint16(at + 28, true)
    const extraLength = view.getUint16(at + 30, true)
    const commentLength = view.getUint16(at + 32, true)
    const localOffset = view.getUint32(at + 42, true)
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength))
    if (localOffset + 30 > offset) throw damaged(`« ${name} » hors du fichier`)
    entries.set(name, { method, compressedSize, localOffset })
    at += 46 + nameLength + extraLength + commentLength
  }
  return entries
}

/** Opens the zip through its central directory; files are decompressed only when read. */
export function unzipArchive(bytes: Uint8Array): ArchiveFiles {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new ArchiveImportError('not_a_zip', "ce fichier n'est pas une archive zip")
  }
  const entries = readCentralDirectory(bytes)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)

  /** The file's compressed bytes, found through its local header. */
  const dataOf = (path: string, entry: Entry): Uint8Array => {
    const at = entry.localOffset
    if (view.getUint32(at, true) !== LOCAL_SIGNATURE) throw damaged(`en-tête de « ${path} » illisible`)
    const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true)
    if (start + entry.compressedSize > bytes.length) throw damaged(`« ${path} » coupé`)
    return bytes.subarray(start, start + entry.compressedSize)
  }

  /** The file's decompressed bytes, in chunks, as they come out of the inflater. */
  function* chunks(path: string): Generator<Uint8Array> {
    const entry = entries.get(path)
    if (!entry) throw new ArchiveImportError('missing_file', "ce fichier manque dans l'archive", { file: path })
    const data = dataOf(path, entry)
    if (entry.method === STORED) {
      for (let i = 0; i < data.length; i += INPUT_SLICE) yield data.subarray(i, i + INPUT_SLICE)
      return
    }
    if (entry.method !== DEFLATED) throw damaged(`« ${path} » compressé d'une façon inconnue (${entry.method})`)
    const out: Uint8Array[] = []
    const inflater = new Inflate((chunk) => out.push(chunk))
    for (let i = 0; i < data.length || i === 0; i += INPUT_SLICE) {
      try {
        inflater.push(data.subarray(i, i + INPUT_SLICE), i + INPUT_SLICE >= data.length)
      } catch (error) {
        throw damaged(`« ${path} » : ${error instanceof Error ? error.message : String(error)}`)
      }
      while (out.length > 0) yield out.shift()!
    }
  }

  return {
    has: (path) => entries.has(path),
    get(path) {
      if (!entries.has(path)) return undefined
      const parts = [...chunks(path)]
      const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
      parts.reduce((at, part) => (whole.set(part, at), at + part.length), 0)
      return whole
    },
    *textChunks(path) {
      const decoder = new TextDecoder()
      for (const chunk of chunks(path)) {
        const text = decoder.decode(chunk, { stream: true })
        if (text) yield text
      }
      const rest = decoder.decode()
      if (rest) yield rest
    },
  }
}

/** A file of the archive as UTF-8 text, or a named error when it is not there. */
export function archiveText(files: ArchiveFiles, path: string): string {
  const file = files.get(path)
  if (!file) throw new ArchiveImportError('missing_file', "ce fichier manque dans l'archive", { file: path })
  return strFromU8(file)
}

/**
 * Each line of a text file, with its number (1-based), read chunk by chunk: the file's text is
 * never whole in memory, only the line being read.
 */
export function* archiveLines(files: ArchiveFiles, path: string): Generator<{ text: string; line: number }> {
  let pending = ''
  let line = 0
  for (const chunk of files.textChunks(path)) {
    pending += chunk
    let from = 0
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n', from)) {
      yield { text: pending.slice(from, newline), line: ++line }
      from = newline + 1
    }
    pending = pending.slice(from)
  }
  yield { text: pending, line: line + 1 }
}
