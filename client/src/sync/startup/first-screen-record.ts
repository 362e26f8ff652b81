/**
 * The first-screen record: what a cold start shows before any of its rooms has loaded.
 *
 * At 20,000 patients a device that holds everything needs 1.5–2 s to load its start-up rooms from
 * IndexedDB (main alone is ≈31 MB of rows) and more to open this month's doc; the relay's
 * digests need the network and decoding 20,000 patients. The agenda's first screen needs far
 * less: this week's and next week's appointments, the patients they name, the practitioners and
 * the appointment kinds. So this device keeps exactly that, in its own IndexedDB, rewritten at
 * idle moments while it works; a cold start reads it before anything else (a few kilobytes: one
 * IndexedDB read, one AES-GCM decryption, one gunzip) and the views show it through the digest
 * holders, as they show the relay's digests on a new device:
 *
 *   week       a week digest (shared/src/digest/week-digest.ts) built from this device's docs
 *   directory  a directory digest of the practitioners, the kinds and only the patients the week
 *              names (and those they were merged into), marked `partial`: lists of every patient
 *              (the patient list, search) wait for the doc or the relay's whole digest instead
 *
 * Like any digest it is a snapshot, replaced by what is newer: the relay's digests when they
 * arrive (the week only when built later), then the docs once they have opened here (and the
 * banners say when it was made). Writes always go to the docs.
 *
 * At rest it is encrypted like the digests the relay holds (digest-cipher.ts, the practice's digest
 * key, weight 0), in the database `<idbName>-first-screen`, store `record`, one row.
 */
import * as Y from 'yjs'
import { decryptDigest, encryptDigest } from '../../../../shared/src/digest/digest-cipher'
import {
  buildDirectoryDigest,
  decodeDirectoryDigest,
  encodeDirectoryDigest,
  type DirectoryDigest,
} from '../../../../shared/src/digest/directory-digest'
import { buildWeekDigestInSlices, decodeWeekDigest, encodeWeekDigest, type WeekDigest } from '../../../../shared/src/digest/week-digest'
import { getPatient } from '../../../../shared/src/model'
import type { Patient } from '../../../../shared/src/model'
import { RECORDS_PER_SLICE, type ReadSlicing } from '../../../../shared/src/model/records'
import { committed, requested } from '../adapters/idb-promises'
import { yieldToMain } from '../decode/main-thread'

export interface FirstScreenRecord {
  readonly week: WeekDigest
  /** `partial`: only the patients the week names (header). */
  readonly directory: DirectoryDigest
}

const STORE = 'record'
const KEY = 'current'
/** How many merges a patient id is followed through (merge-cycles.ts keeps chains short). */
const MAX_REDIRECTS = 8

/**
 * What this device's docs say of the week digest's window, with the patients it names. Built on
 * the page, so in slices (`slicing`: yieldToMain between them): the window's appointments and the
 * patients they name are each a record validated, two weeks of a busy practice one task of
 * 124–247 ms after a join in the eighth pass's profile (issue 17). Each doc's state vector is taken
 * before it is read, so the record never claims a change it may not hold (week-digest.ts,
 * buildWeekDigestInSlices). Equal to a build in one go when the docs do not change meanwhile.
 */
export async function buildFirstScreenRecord(
  directory: Y.Doc,
  weekDocs: readonly Y.Doc[],
  today: string,
  now: number,
  slicing: ReadSlicing,
): Promise<FirstScreenRecord> {
  const directoryState = Y.encodeStateVector(directory)
  const week = await buildWeekDigestInSlices(weekDocs, today, now, slicing)
  const perSlice = slicing.perSlice ?? RECORDS_PER_SLICE
  const patients = new Map<string, Patient>()
  let read = 0
  for (const appointment of week.appointments) {
    let id: string | undefined = appointment.patientId
    for (let hop = 0; id !== undefined && !patients.has(id) && hop < MAX_REDIRECTS; hop++) {
      if (read === perSlice) {
        read = 0
        await slicing.nextSlice()
      }
      read++
      const patient = getPatient(directory, id)
      if (!patient) break
      patients.set(id, patient)
      id = patient.mergedInto
    }
  }
  return { week, directory: { ...buildDirectoryDigest(directory, now, [...patients.values()]), stateVector: directoryState } }
}

interface StoredRecord {
  readonly week: Uint8Array
  readonly directory: Uint8Array
}

function isStoredRecord(value: unknown): value is StoredRecord {
  if (typeof value !== 'object' || value === null) return false
  const { week, directory } = value as { week?: unknown; directory?: unknown }
  return week instanceof Uint8Array && directory instanceof Uint8Array
}

/** The record's row in this device's IndexedDB, encrypted with the digest key (header). */
export class FirstScreenStore {
  private db: Promise<IDBDatabase> | null = null
  /** A read started ahead (readAhead), which the next read() returns. */
  private ahead: Promise<FirstScreenRecord | null> | null = null

  constructor(
    private readonly options: {
      readonly idbName: string
      readonly spaceId: string
      readonly key: CryptoKey
      /** Between slices of the record's checks when it is read (default yieldToMain). */
      readonly nextSlice?: () => Promise<void>
    },
  ) {}

  /** The key the record is sealed with (a store made ahead is used only with the practice's digest key). */
  get key(): CryptoKey {
    return this.options.key
  }

  /**
   * Starts reading the record now, for the next read() — at a cold start the device reads it
   * while it asks the relay for key epochs and grants (device.ts), a round trip or two that
   * would otherwise come before it. Its failure surfaces in that read(), never unhandled.
   */
  readAhead(): void {
    if (this.ahead !== null) return
    this.ahead = this.readStored()
    this.ahead.catch(() => undefined)
  }

  /**
   * The record kept here, or null: none yet, or one that no longer decrypts or decodes (then
   * ignored). A read started ahead is returned once; any later read reads again.
   */
  read(): Promise<FirstScreenRecord | null> {
    const ahead = this.ahead
    this.ahead = null
    return ahead ?? this.readStored()
  }

  private async readStored(): Promise<FirstScreenRecord | null> {
    const db = await this.open()
    const stored: unknown = await requested(db.transaction(STORE).objectStore(STORE).get(KEY))
    if (!isStoredRecord(stored)) return null
    const { key, spaceId, nextSlice = yieldToMain } = this.options
    // The checks in slices: a cold start reads the record while it waits for the relay (device.ts),
    // and the week's appointments' checks were ≈ 150 ms of one task under load (issue 17).
    const [week, directory] = await Promise.all([
      decryptDigest(key, spaceId, 'week', 0, stored.week).then((plain) => decodeWeekDigest(plain, { nextSlice })),
      decryptDigest(key, spaceId, 'directory', 0, stored.directory).then((plain) => decodeDirectoryDigest(plain, { nextSlice })),
    ])
    return { week, directory: { ...directory, partial: true } }
  }

  async write(record: FirstScreenRecord): Promise<void> {
    const { key, spaceId } = this.options
    const [week, directory] = await Promise.all([
      encodeWeekDigest(record.week).then((plain) => encryptDigest(key, spaceId, 'week', 0, plain)),
      encodeDirectoryDigest(record.directory).then((plain) => encryptDigest(key, spaceId, 'directory', 0, plain)),
    ])
    const db = await this.open()
    const transaction = db.transaction(STORE, 'readwrite')
    transaction.objectStore(STORE).put({ week, directory } satisfies StoredRecord, KEY)
    await committed(transaction)
  }

  close(): void {
    void this.db?.then((db) => db.close()).catch(() => undefined)
    this.db = null
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= (() => {
      const request = indexedDB.open(`${this.options.idbName}-first-screen`, 1)
      request.addEventListener('upgradeneeded', () => request.result.createObjectStore(STORE))
      return requested(request)
    })()
    return this.db
  }
}
