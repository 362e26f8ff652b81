/**
 * The archive reader (archive-unzip.ts): files found through the central directory, inflated in
 * bounded chunks, lines numbered across chunk boundaries; cut and damaged zips refused by name.
 * The archives are made by the export's own writer (streamed entries, sizes only in the central
 * directory) and by fflate's zipSync (sizes in the local headers, a stored entry).
 */
import { strToU8, zipSync } from 'fflate'
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import { ZipWriter } from '../export/zip-writer'
import { ArchiveImportError } from './archive-error'
import { archiveLines, INPUT_SLICE, unzipArchive } from './archive-unzip'

const SEED = 20_261_207

/** NDJSON lines of varied text (a seeded PRNG), as the export writes them: `megabytes` of it. */
function ndjson(megabytes: number): string {
  console.log(`archive-unzip seed ${SEED}`)
  const gen = prng.create(SEED)
  const lines: string[] = []
  let size = 0
  for (let i = 0; size < megabytes * 2 ** 20; i++) {
    const line = JSON.stringify({ resourceType: 'Appointment', id: `rdv-${i}`, note: prng.word(gen, 20, 200), minutesDuration: prng.uint32(gen, 10, 90) })
    lines.push(line)
    size += line.length + 1
  }
  return lines.join('\n') + '\n'
}

/** A zip as the export writes it (client/src/export/zip-writer.ts). */
async function exportZip(files: Record<string, string>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  const zip = new ZipWriter((chunk) => chunks.push(chunk), Date.UTC(2026, 11, 7))
  for (const [path, text] of Object.entries(files)) {
    const entry = zip.text(path)
    entry.write(text)
    entry.close()
  }
  await zip.finish()
  return new Uint8Array(Buffer.concat(chunks))
}

function refusal(read: () => unknown): ArchiveImportError {
  try {
    read()
  } catch (error) {
    if (error instanceof ArchiveImportError) return error
    throw error
  }
  throw new Error('expected an ArchiveImportError')
}

describe('unzipArchive', () => {
  it('hands a 4 MiB file to the reader in bounded chunks, never whole', { timeout: 60_000 }, async () => {
    const text = ndjson(4)
    const files = unzipArchive(await exportZip({ 'fhir/Appointment.ndjson': text, 'manifest.json': '{}' }))
    let largest = 0
    let count = 0
    let joined = ''
    for (const chunk of files.textChunks('fhir/Appointment.ndjson')) {
      largest = Math.max(largest, chunk.length)
      count++
      joined += chunk
    }
    expect(joined).toBe(text)
    // Each chunk is what one INPUT_SLICE of compressed bytes inflates to: a few times the slice here.
    expect(largest).toBeLessThan(32 * INPUT_SLICE)
    expect(count).toBeGreaterThan(text.length / (32 * INPUT_SLICE))
  })

  it('numbers lines across chunk boundaries, as a text editor does', { timeout: 30_000 }, async () => {
    const text = ndjson(1)
    const files = unzipArchive(await exportZip({ 'a.ndjson': text + 'dernière ligne sans fin' }))
    const expected = (text + 'dernière ligne sans fin').split('\n')
    let n = 0
    for (const { text: line, line: number } of archiveLines(files, 'a.ndjson')) {
      expect(number).toBe(n + 1)
      expect(line).toBe(expected[n])
      n++
    }
    expect(n).toBe(expected.length)
  })

  it('reads zipSync archives too: sizes in the local headers, a stored entry, multi-byte UTF-8', () => {
    const accents = 'Élodie Bénard — kinésithérapeute\n'.repeat(20_000)
    const files = unzipArchive(zipSync({ 'stored.txt': [strToU8(accents), { level: 0 }], 'deflated.txt': strToU8(accents) }))
    expect([...files.textChunks('stored.txt')].join('')).toBe(accents)
    expect([...files.textChunks('deflated.txt')].join('')).toBe(accents)
    expect(files.get('absent.txt')).toBeUndefined()
    expect(files.has('stored.txt')).toBe(true)
  })

  it('refuses a cut archive, a damaged file and what is not a zip, by name', { timeout: 30_000 }, async () => {
    const bytes = await exportZip({ 'fhir/Appointment.ndjson': ndjson(1), 'manifest.json': '{}' })
    for (const keep of [0.5, 0.99]) {
      expect(refusal(() => unzipArchive(bytes.subarray(0, Math.floor(bytes.length * keep)))).problem).toBe('truncated')
    }
    const broken = bytes.slice()
    // Garbage in the middle of the first file's deflate stream.
    broken.fill(0xff, 200, 400)
    const files = unzipArchive(broken)
    expect(refusal(() => [...files.textChunks('fhir/Appointment.ndjson')]).problem).toBe('truncated')
    expect(refusal(() => unzipArchive(strToU8('nom;prénom\n'))).problem).toBe('not_a_zip')
    expect(refusal(() => [...files.textChunks('absent.ndjson')])).toMatchObject({ problem: 'missing_file', where: { file: 'absent.ndjson' } })
  })
})
