import { strFromU8, unzipSync } from 'fflate'
import * as prng from 'lib0/prng'
import { describe, expect, it, vi } from 'vitest'
import { blobSpool } from './spool'
import { safeFileName, ZipWriteError, ZipWriter } from './zip-writer'

async function written(build: (zip: ZipWriter) => void): Promise<Record<string, Uint8Array>> {
  const chunks: Uint8Array[] = []
  const zip = new ZipWriter((c) => chunks.push(c), Date.UTC(2026, 10, 18, 9))
  build(zip)
  await zip.finish()
  const whole = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    whole.set(c, at)
    at += c.length
  }
  return unzipSync(whole)
}

describe('the streaming zip writer', () => {
  it('writes text files open at once and whole files, which unzip to what was written', async () => {
    const big = 'é'.repeat(200_000)
    const files = await written((zip) => {
      const a = zip.text('fhir/Patient.ndjson')
      const b = zip.text('csv/patients.csv')
      a.write('{"a":1}\n')
      b.write('\uFEFFNom;Prénom\r\n')
      a.write(big)
      a.close()
      b.close()
      zip.bytes('pieces-jointes/Dupont Jean/scan.pdf', new Uint8Array([37, 80, 68, 70]), false)
    })
    expect(Object.keys(files)).toEqual(['fhir/Patient.ndjson', 'csv/patients.csv', 'pieces-jointes/Dupont Jean/scan.pdf'])
    expect(strFromU8(files['fhir/Patient.ndjson']!)).toBe('{"a":1}\n' + big)
    // TextDecoder would drop the BOM: it is checked as the bytes a spreadsheet reads.
    expect(new TextDecoder('utf-8', { ignoreBOM: true }).decode(files['csv/patients.csv']!)).toBe('\uFEFFNom;Prénom\r\n')
    expect([...files['pieces-jointes/Dupont Jean/scan.pdf']!]).toEqual([37, 80, 68, 70])
  })

  it('copies a file into the archive once it is closed, not held behind a file opened before it', async () => {
    const chunks: Uint8Array[] = []
    let sent = 0
    const zip = new ZipWriter((c) => {
      chunks.push(c)
      sent += c.length
    }, Date.UTC(2026, 10, 18, 9), blobSpool)
    const appointments = zip.text('fhir/Appointment.ndjson')
    const calendar = zip.text('agenda/Besson.ics')
    appointments.write('{"resourceType":"Appointment"}\n')
    // Letters drawn at random (seeded): they compress to little less than they are.
    const noise = prng.word(prng.create(20_261_207), 300_000, 300_000)
    calendar.write(noise)
    calendar.close()
    // The calendar reaches the sink while the appointments are still being written: fflate holds nothing back.
    await vi.waitFor(() => expect(sent).toBeGreaterThan(100_000))
    appointments.write('{"resourceType":"Appointment"}\n')
    appointments.close()
    await zip.finish()
    const files = unzipSync(new Uint8Array(Buffer.concat(chunks)))
    expect(Object.keys(files)).toEqual(['agenda/Besson.ics', 'fhir/Appointment.ndjson'])
    expect(strFromU8(files['agenda/Besson.ics']!)).toBe(noise)
    expect(strFromU8(files['fhir/Appointment.ndjson']!)).toBe('{"resourceType":"Appointment"}\n'.repeat(2))
  })

  it('refuses a name twice and offers the next free one', async () => {
    await written((zip) => {
      zip.bytes('a/photo.jpg', new Uint8Array([1]), false)
      expect(() => zip.bytes('a/photo.jpg', new Uint8Array([2]), false)).toThrow(ZipWriteError)
      expect(zip.uniqueName('a/photo.jpg')).toBe('a/photo (2).jpg')
      expect(zip.uniqueName('a/b.c/notes')).toBe('a/b.c/notes')
    })
  })

  it('makes file names every file system takes', () => {
    expect(safeFileName('ordonnance: 15/03?.pdf')).toBe('ordonnance_ 15_03_.pdf')
    expect(safeFileName('  ..  ')).toBe('fichier')
    expect(safeFileName('x'.repeat(300))).toHaveLength(120)
  })
})
