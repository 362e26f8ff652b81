import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { z } from 'zod'
import { fixedClock } from '../model/actor'
import { addAppointmentKind, listAppointmentKinds, softDeleteAppointmentKind } from '../model/appointment-kinds'
import { getPractice, initPractice } from '../model/practice'
import { addPatient, listPatients, softDeletePatient, updatePatient } from '../model/patients'
import { addPractitioner, listPractitioners, updatePractitioner } from '../model/practitioners'
import { patientRecord } from '../model/record-schemas'
import { checkSchema } from '../model/validation'
import { T0, alice, bob, exchange, fork, steppingClock } from '../model/test-support'
import { readDigestPatient } from './digest-patient'
import {
  DIRECTORY_DIGEST_FORMAT,
  DirectoryDigestFormatError,
  buildDirectoryDigest,
  decodeDirectoryDigest,
  encodeDirectoryDigest,
  stateVectorCovers,
  stateVectorWeight,
} from './directory-digest'

function directory(): Y.Doc {
  const doc = new Y.Doc()
  const clock = steppingClock()
  initPractice(doc, { name: 'Cabinet des Lilas', firstPractitioner: { displayName: 'Jeanne Roux', profession: 'kine' } }, alice, fixedClock(T0))
  const left = addPractitioner(doc, { displayName: 'Paul Blanc', profession: 'infirmier' }, alice, clock)
  updatePractitioner(doc, left, { active: false }, alice, clock)
  const kind = addAppointmentKind(doc, { label: 'Ancien acte', defaultDurationMin: 45 }, alice, clock)
  softDeleteAppointmentKind(doc, kind, alice, clock)
  addPatient(
    doc,
    {
      birthName: 'Lefèvre',
      firstNames: 'Zoé',
      sex: 'F',
      birthDate: '1958-03-12',
      phones: ['06 12 34 56 78'],
      address: { line1: '3 rue des Lilas', postalCode: '75020', city: 'Paris', accessNotes: 'Code 1234' },
      referringDoctor: { name: 'Dr Petit', rpps: '10001234567' },
      tags: ['diabète'],
    },
    alice,
    clock,
  )
  addPatient(doc, { birthName: 'Dupont', usualName: 'Martin', firstNames: 'Jean-Pierre' }, alice, clock)
  addPatient(doc, { birthName: "D'Arc", firstNames: 'Jeanne', archived: true }, alice, clock)
  const gone = addPatient(doc, { birthName: 'Andre', firstNames: 'Martine' }, alice, clock)
  softDeletePatient(doc, gone, alice, clock)
  return doc
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

const gzipJson = (value: unknown) => gzip(new TextEncoder().encode(JSON.stringify(value)))

type DigestJson = Record<string, unknown> & { actors: unknown[]; patientFields: string[]; patients: unknown[][] }

/** The digest of `doc` (by default `directory()`) as plain JSON, to read its wire form or break one field at a time. */
async function digestJson(doc: Y.Doc = directory()): Promise<DigestJson> {
  const bytes = await encodeDirectoryDigest(buildDirectoryDigest(doc, T0))
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'))
  return JSON.parse(await new Response(stream).text()) as DigestJson
}

/** Sets one cell of patient `index`'s row, by field name (a column it lacks is added). */
function setCell(json: DigestJson, index: number, field: string, value: unknown): void {
  let column = json.patientFields.indexOf(field)
  if (column < 0) column = json.patientFields.push(field) - 1
  const row = json.patients[index]!
  while (row.length <= column) row.push(null)
  row[column] = value
}

describe('directory digest', () => {
  it('reads back what the model lists: the hooks’ practitioners and kinds, every patient', async () => {
    const doc = directory()
    const digest = buildDirectoryDigest(doc, T0 + 5)
    const back = await decodeDirectoryDigest(await encodeDirectoryDigest(digest))

    expect(back.format).toBe(DIRECTORY_DIGEST_FORMAT)
    expect(back.builtAt).toBe(T0 + 5)
    expect(back.stateVector).toEqual(Y.encodeStateVector(doc))
    expect(back.practice).toEqual(getPractice(doc))
    expect(back.practitioners).toEqual(listPractitioners(doc).items)
    expect(back.practitioners.map((p) => p.displayName)).toEqual(['Jeanne Roux'])
    expect(back.appointmentKinds).toEqual(listAppointmentKinds(doc).items)
    expect(back.appointmentKinds.map((k) => k.label)).not.toContain('Ancien acte')
    const all = listPatients(doc, { includeArchived: true, includeDeleted: true }).items
    expect(back.patients).toEqual(all)
    expect(back.patients.map((p) => p.firstNames)).toEqual(['Martine', 'Jeanne', 'Zoé', 'Jean-Pierre'])
    // Same keys, not just equal under toEqual's "undefined is absent".
    expect(back.patients.map((p) => Object.keys(p).sort())).toEqual(all.map((p) => Object.keys(p).sort()))
  })

  it('reads the rows in slices when given nextSlice (a page), giving the same digest and the same refusals', async () => {
    const doc = directory()
    const bytes = await encodeDirectoryDigest(buildDirectoryDigest(doc, T0 + 5))
    let turns = 0
    const nextSlice = async () => void turns++
    const sliced = await decodeDirectoryDigest(bytes, { nextSlice, rowsPerSlice: 1 })
    // Four patients, one row a slice: three turns given back between them.
    expect(turns).toBe(3)
    expect(sliced).toEqual(await decodeDirectoryDigest(bytes))
    const json = await digestJson()
    setCell(json, 3, 'birthDate', 12)
    await expect(decodeDirectoryDigest(await gzipJson(json), { nextSlice, rowsPerSlice: 1 })).rejects.toThrow(/patients\.3\.birthDate/)
  })

  it('writes each actor once and each patient as a row of its fields, trailing absent fields left out', async () => {
    const doc = directory()
    addPatient(doc, { birthName: 'Roux', firstNames: 'Léa' }, bob, steppingClock())
    const json = await digestJson(doc)
    expect(json.actors).toEqual([alice, bob].map(({ memberId, deviceId }) => ({ memberId, deviceId })))
    expect(json.patients).toHaveLength(5)
    const created = json.patientFields.indexOf('createdBy')
    expect(json.patients.map((row) => row[created]).sort()).toEqual([0, 0, 0, 0, 1])
    for (const row of json.patients) expect(row.at(-1)).not.toBeNull()
    expect(JSON.stringify(json.patients)).not.toMatch(/birthName|memberId/)
    const back = await decodeDirectoryDigest(await gzipJson(json))
    expect(back.patients).toEqual(listPatients(doc, { includeArchived: true, includeDeleted: true }).items)
  })

  it('holds a directory that has not synced anything yet', async () => {
    const back = await decodeDirectoryDigest(await encodeDirectoryDigest(buildDirectoryDigest(new Y.Doc(), T0)))
    expect(back).toMatchObject({ practice: null, practitioners: [], appointmentKinds: [], patients: [] })
    expect(stateVectorWeight(back.stateVector)).toBe(0)
  })

  it('refuses bytes that are not a gzip of UTF-8 JSON, with a named error', async () => {
    const good = await encodeDirectoryDigest(buildDirectoryDigest(directory(), T0))
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['not gzip', new TextEncoder().encode('{"format":1}')],
      ['truncated gzip', good.slice(0, Math.floor(good.length / 2))],
      ['gzip of text', await gzip(new TextEncoder().encode('not json'))],
      ['gzip of invalid UTF-8', await gzip(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))],
    ]
    for (const [label, bytes] of cases) {
      await expect(decodeDirectoryDigest(bytes), label).rejects.toBeInstanceOf(DirectoryDigestFormatError)
    }
  })

  it('refuses another format, saying which it reads', async () => {
    const json = await digestJson()
    for (const format of [1, 3, 0, '2', undefined]) {
      const error = await decodeDirectoryDigest(await gzipJson({ ...json, format })).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DirectoryDigestFormatError)
      expect((error as Error).message).toMatch(/this version reads format 2/)
    }
    await expect(decodeDirectoryDigest(await gzipJson([json]))).rejects.toBeInstanceOf(DirectoryDigestFormatError)
    await expect(decodeDirectoryDigest(await gzipJson(null))).rejects.toBeInstanceOf(DirectoryDigestFormatError)
  })

  it('refuses a malformed record, naming where without the value', async () => {
    const json = await digestJson()
    const broken = async (change: (j: typeof json) => void) => {
      const copy = structuredClone(json)
      change(copy)
      return decodeDirectoryDigest(await gzipJson(copy))
    }
    const expectRefused = async (change: (j: typeof json) => void, where: RegExp) => {
      const error = await broken(change).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DirectoryDigestFormatError)
      expect((error as Error).message).toMatch(where)
      expect((error as Error).message).not.toMatch(/Lefèvre|Zoé|Dupont|0612345678/)
    }
    await expectRefused((j) => setCell(j, 2, 'birthName', 42), /patients\.2\.birthName/)
    await expectRefused((j) => setCell(j, 2, 'birthDate', '1958-02-30'), /patients\.2\.birthDate/)
    await expectRefused((j) => setCell(j, 0, 'address', { line1: 'x' }), /patients\.0\.address/)
    await expectRefused((j) => setCell(j, 1, 'birthName', null), /patients\.1\.birthName/)
    await expectRefused((j) => void (j.patients[1] = 'Dupont' as never), /patients\.1/)
    await expectRefused((j) => void j.patients[1]!.push(...j.patientFields.map(() => 'Dupont')), /patients\.1/)
    await expectRefused((j) => void (j.patients = {} as never), /patients/)
    // Stamps: an index into actors, and the actor it names is checked like any field.
    await expectRefused((j) => setCell(j, 0, 'createdBy', 99), /patients\.0\.createdBy/)
    await expectRefused((j) => setCell(j, 0, 'updatedBy', 'Dupont'), /patients\.0\.updatedBy/)
    await expectRefused((j) => void (j.actors[0] = { memberId: 'm' }), /patients\.0\.createdBy/)
    await expectRefused((j) => void (j.patientFields = 'id' as never), /patientFields/)
    await expectRefused((j) => void (j.practitioners = [{ displayName: 'Jeanne Roux' }]), /practitioners\.0/)
    await expectRefused((j) => void (j.appointmentKinds = null), /appointmentKinds/)
    await expectRefused((j) => void (j.builtAt = -1), /builtAt/)
    await expectRefused((j) => void (j.stateVector = '%%%'), /stateVector/)
    await expectRefused((j) => void (j.stateVector = 'AQ'), /stateVector/)
  })

  it('keeps only the model’s fields and reads an unknown sex as unknown, as the record schema does', async () => {
    const json = await digestJson()
    setCell(json, 0, 'sex', 'Z')
    setCell(json, 0, 'addedByANewerVersion', true)
    const back = await decodeDirectoryDigest(await gzipJson(json))
    expect(back.patients[0]).not.toHaveProperty('addedByANewerVersion')
    expect(back.patients[0]!.sex).toBe('U')
  })
})

describe('digest patient check', () => {
  const schema = patientRecord.extend({ id: z.string() })
  const stamp = { createdAt: T0, createdBy: alice, updatedAt: T0, updatedBy: alice }
  const valid = { id: 'p1', birthName: 'Roux', firstNames: 'Jeanne', archived: false, ...stamp }

  it('accepts and refuses the same records as the model’s patient schema', () => {
    const cases: Record<string, unknown>[] = [
      valid,
      { ...valid, sex: 'M', birthDate: '2000-02-29', phones: [], tags: ['a'], deletedAt: T0, deletedBy: bob, mergedInto: 'p2' },
      { ...valid, address: { line1: 'l', postalCode: 'anything', city: 'c', line2: 'x' }, referringDoctor: { name: 'Dr' } },
      { ...valid, usualName: '', nir: 'not checked', email: 'free text', insurance: 'x' },
      { ...valid, id: 3 },
      { ...valid, birthName: undefined },
      { ...valid, firstNames: null },
      { ...valid, archived: 'no' },
      { ...valid, birthDate: '2001-02-29' },
      { ...valid, birthDate: '12/03/1958' },
      { ...valid, phones: ['06', 6] },
      { ...valid, phones: '0612345678' },
      { ...valid, tags: [null] },
      { ...valid, address: { line1: 'l', postalCode: 75020, city: 'c' } },
      { ...valid, address: { line1: 'l', postalCode: '75020', city: 'c', accessNotes: 1 } },
      { ...valid, referringDoctor: { rpps: '1' } },
      { ...valid, createdAt: '1795' },
      { ...valid, createdBy: { memberId: '', deviceId: 'd' } },
      { ...valid, updatedBy: undefined },
      { ...valid, deletedAt: null },
      { ...valid, deletedBy: { memberId: 'm' } },
      { ...valid, mergedInto: 1 },
    ]
    for (const record of cases) {
      const bySchema = checkSchema(schema, record)
      const byDigest = readDigestPatient(record)
      expect(byDigest.ok, JSON.stringify(record)).toBe(bySchema.ok)
      if (bySchema.ok && byDigest.ok) expect(byDigest.patient).toEqual(bySchema.value)
    }
  })
})

describe('stateVectorWeight', () => {
  it('grows with every edit and is equal for equal state, whatever the order changes arrived in', () => {
    const clock = steppingClock()
    const a = directory()
    const b = fork(a, 'directory-b')
    const start = stateVectorWeight(Y.encodeStateVector(a))
    expect(start).toBeGreaterThan(0)
    expect(stateVectorWeight(Y.encodeStateVector(b))).toBe(start)

    const id = addPatient(a, { birthName: 'Blanc', firstNames: 'Léo' }, alice, clock)
    const afterAdd = stateVectorWeight(Y.encodeStateVector(a))
    expect(afterAdd).toBeGreaterThan(start)
    updatePatient(a, id, { phones: ['0612345678'] }, alice, clock)
    const afterEdit = stateVectorWeight(Y.encodeStateVector(a))
    expect(afterEdit).toBeGreaterThan(afterAdd)
    // A deletion only adds to the delete set, yet the change log written with it moves a clock.
    softDeletePatient(a, id, alice, clock)
    expect(stateVectorWeight(Y.encodeStateVector(a))).toBeGreaterThan(afterEdit)

    addPatient(b, { birthName: 'Noir', firstNames: 'Ana' }, bob, clock)
    expect(stateVectorWeight(Y.encodeStateVector(b))).toBeGreaterThan(start)
    exchange(a, b)
    expect(stateVectorWeight(Y.encodeStateVector(a))).toBe(stateVectorWeight(Y.encodeStateVector(b)))
  })
})

describe('stateVectorCovers', () => {
  it("tells whether a digest counts every change a device's directory holds", () => {
    const clock = steppingClock()
    const a = directory()
    const b = fork(a, 'directory-b')
    const digest = buildDirectoryDigest(a, 1).stateVector
    expect(stateVectorCovers(digest, Y.encodeStateVector(a))).toBe(true)
    expect(stateVectorCovers(digest, Y.encodeStateVector(b))).toBe(true)
    // A device with one more patient is not covered; one with less is.
    addPatient(b, { birthName: 'Noir', firstNames: 'Ana' }, bob, clock)
    expect(stateVectorCovers(digest, Y.encodeStateVector(b))).toBe(false)
    expect(stateVectorCovers(Y.encodeStateVector(b), digest)).toBe(true)
    // A newer version of a patient the digest has is a change it lacks too.
    const [first] = listPatients(a).items
    updatePatient(a, first!.id, { phones: ['0700000000'] }, alice, clock)
    expect(stateVectorCovers(digest, Y.encodeStateVector(a))).toBe(false)
    // Apart: each holds a change the other lacks.
    expect(stateVectorCovers(Y.encodeStateVector(a), Y.encodeStateVector(b))).toBe(false)
    expect(stateVectorCovers(Y.encodeStateVector(b), Y.encodeStateVector(a))).toBe(false)
    exchange(a, b)
    expect(stateVectorCovers(Y.encodeStateVector(a), Y.encodeStateVector(b))).toBe(true)
  })
})
