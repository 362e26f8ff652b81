/**
 * Opens an export archive (a zip written by client/src/export/zip-writer.ts) with fflate.
 *
 * The whole zip is read through its central directory (`unzipSync`): a truncated download has no
 * end-of-central-directory record, or entries whose bytes stop short, and is refused as a whole —
 * the import checks everything before it writes anything, so it needs every file at hand anyway.
 * Memory: the compressed archive and its files (an 8 MiB archive for a year of a 10-practitioner
 * practice, docs/export.md) — not a streaming read.
 */
import { strFromU8, unzipSync } from 'fflate'
import { ArchiveImportError } from './archive-error'

export type ArchiveFiles = ReadonlyMap<string, Uint8Array>

/** "PK\x05\x06": the end-of-central-directory record every complete zip ends with. */
const EOCD = [0x50, 0x4b, 0x05, 0x06] as const
const EOCD_SIZE = 22

function hasEndRecord(bytes: Uint8Array): boolean {
  // The record is 22 bytes plus a comment of at most 65,535: search back from the end.
  const from = Math.max(0, bytes.length - EOCD_SIZE - 0xffff)
  for (let i = bytes.length - EOCD_SIZE; i >= from; i--) {
    if (bytes[i] === EOCD[0] && bytes[i + 1] === EOCD[1] && bytes[i + 2] === EOCD[2] && bytes[i + 3] === EOCD[3]) return true
  }
  return false
}

export function unzipArchive(bytes: Uint8Array): ArchiveFiles {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new ArchiveImportError('not_a_zip', "ce fichier n'est pas une archive zip")
  }
  if (!hasEndRecord(bytes)) {
    throw new ArchiveImportError('truncated', "l'archive est incomplète (téléchargement interrompu ?) : rien n'a été importé")
  }
  let files: Record<string, Uint8Array>
  try {
    files = unzipSync(bytes)
  } catch (error) {
    // fflate says "invalid zip data" or "unexpected EOF": a damaged or cut archive either way.
    throw new ArchiveImportError('truncated', `l'archive est abîmée (${error instanceof Error ? error.message : String(error)}) : rien n'a été importé`)
  }
  return new Map(Object.entries(files))
}

/** A file of the archive as UTF-8 text, or a named error when it is not there. */
export function archiveText(files: ArchiveFiles, path: string): string {
  const file = files.get(path)
  if (!file) throw new ArchiveImportError('missing_file', "ce fichier manque dans l'archive", { file: path })
  return strFromU8(file)
}
