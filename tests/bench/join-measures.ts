/**
 * How a fresh device joining a practice is measured, three ways (scenario a, fresh-device.ts):
 * the floor (plaintext doc states over a raw WebSocket), the stock y-websocket client, and ours
 * (a Tournée device joining with the pairing code). Each sample runs in a child process of its
 * own (fresh-joiner-main.ts calls these functions); cold start calls `joinSynced` in-process.
 *
 * Inputs are plain data (ids, counts, state vectors), so that a child can be handed them.
 */
import WebSocket from 'ws'
import * as Y from 'yjs'
import { runBounded } from './bounded-queue'
import { type DeviceEnvironment, type OpenPractice } from '../../client/src/sync/device/device'
import type { StartFetch } from '../../client/src/sync/digests/digest-sync'
import { BACKGROUND_CONCURRENCY } from '../../client/src/sync/practice/background-pass'
import type { Practice } from '../../client/src/sync/practice/practice'
import { backgroundOrder } from '../../shared/src/space/background-order'
import type { RoomName } from '../../shared/src/space/rooms'
import { DIRECTORY_DOC_ID } from '../../shared/src/model/doc-ids'
import { listPatients } from '../../shared/src/model/patients'
import { listAppointments } from '../../shared/src/model/agenda'
import { addDays, startOfWeek } from '../../shared/src/model/dates'
import { activePatientsOfDigest } from '../../client/src/state/directory'
import { countingWebSocket, hasState, until, type ByteCounter, type StateVector } from './bench-device'
import { localToday, type BenchPractice } from './fixture'
import { decodeDocFrame } from './floor-transport'
import { stockProvider } from './stock-server'
import { joinByCode } from '../helpers/pairing-ticket'

export interface JoinSample {
  usableMs: number
  syncedMs: number
  bytesReceived: number
  /** Rooms open on the device when it became usable, and at the end. */
  roomsAtUsable?: number
  roomsAtEnd?: number
  /**
   * Until the directory doc itself is synced. The floor and stock list patients from it, so it
   * is their usable time; ours may list them from the digest first (patientsFrom).
   */
  directoryMs: number
  patientsFrom?: 'digest' | 'directory'
  /** What became of ours' fetch of the week digest (the Chromium join shows the week from it when 'shown'). */
  weekDigest?: StartFetch | 'not-needed'
}

/** What usable means: every patient listed, and this month's doc synced with this week listed (listThisWeek). */
export interface UsableTarget {
  currentMonthDocId: string
  patients: number
}

/** What a joining client needs: the docs in order (directory, this month, the rest) and A's state vectors. */
export interface SyncTarget extends UsableTarget {
  docOrder: readonly string[]
  expected: ReadonlyMap<string, StateVector>
}

/** Ours: the pairing code too. */
export interface JoinTarget extends SyncTarget {
  code: string
}

export class MissingExpectedStateError extends Error {
  override name = 'MissingExpectedStateError'
}

/** Ten years of a practice on a loaded 2-core machine take minutes to sync, not seconds. */
export const SYNC_TIMEOUT_MS = 900_000

/** The docs in the order a device needs them: directory, this month, then the rest. */
export function docOrder(p: Pick<BenchPractice, 'currentMonthDocId' | 'written'>): string[] {
  return [DIRECTORY_DOC_ID, p.currentMonthDocId, ...p.written.docIds.filter((id) => id !== DIRECTORY_DOC_ID && id !== p.currentMonthDocId)]
}

/** The join target of a practice set up in this process (every doc). */
export function joinTargetOf(p: Pick<BenchPractice, 'code' | 'expected' | 'currentMonthDocId' | 'written'>): JoinTarget {
  return { code: p.code, currentMonthDocId: p.currentMonthDocId, patients: p.written.patientIds.length, docOrder: docOrder(p), expected: p.expected }
}

function expectedOf(target: SyncTarget, id: string): StateVector {
  const vector = target.expected.get(id)
  if (!vector) throw new MissingExpectedStateError(`No expected state vector for doc ${id}`)
  return vector
}

/**
 * This week's appointments as the agenda's week view lists them (`useAgendaAppointments`: the
 * days shown, Monday to Sunday; the others are skipped unvalidated), from this month's doc. The app
 * opens on the day view, so the week is the heavier of its two first screens. Until 2026-11-23
 * the bench listed the whole month, every appointment validated: 4–5× the records the screen reads.
 */
export function listThisWeek(month: Y.Doc): void {
  const monday = startOfWeek(localToday())
  listAppointments(month, { from: monday, to: addDays(monday, 6) })
}

function listUsable(directory: Y.Doc, month: Y.Doc, patients: number): void {
  const listed = listPatients(directory).items.length
  if (listed !== patients) throw new Error(`Listed ${listed} patients, expected ${patients}`)
  listThisWeek(month)
}

/**
 * Ours: the patients as the views list them (from the digest while the device shows one, else
 * from the directory doc), and this week; says which source listed the patients.
 */
function listOursUsable(space: Practice, directory: Y.Doc, month: Y.Doc, patients: number): 'digest' | 'directory' {
  const digest = space.directoryDigest.current()
  if (digest === null) {
    listUsable(directory, month, patients)
    return 'directory'
  }
  const listed = activePatientsOfDigest(digest)?.length ?? 0
  if (listed !== patients) throw new Error(`Listed ${listed} patients from the digest, expected ${patients}`)
  listThisWeek(month)
  return 'digest'
}

/**
 * Joins with the pairing code and waits until usable, then until every doc matches A. The device
 * stays open (the caller destroys it); cold start reuses this to fill a device's IndexedDB.
 */
export async function joinSynced(
  p: JoinTarget,
  env: DeviceEnvironment,
  counter: ByteCounter,
  timeoutMs = 120_000,
  usableOnly = false,
): Promise<{ sample: JoinSample; practice: OpenPractice }> {
  const started = performance.now()
  const practice = await joinByCode(p.code, env)
  const { space } = practice
  const directory = await space.openDoc(DIRECTORY_DOC_ID)
  const month = await space.openDoc(p.currentMonthDocId)
  const directorySynced = until(directory, (d) => hasState(d, expectedOf(p, DIRECTORY_DOC_ID)), timeoutMs)
  // The views list patients from whichever comes first: the digest, or the synced directory.
  const patientsReady = Promise.race([
    space.whenDigestFetched().then((outcome) => (outcome === 'shown' ? undefined : directorySynced)),
    directorySynced,
  ])
  await Promise.all([patientsReady, until(month, (d) => hasState(d, expectedOf(p, p.currentMonthDocId)), timeoutMs)])
  const patientsFrom = listOursUsable(space, directory, month, p.patients)
  const usableMs = performance.now() - started
  const bytesAtUsable = counter.received
  const roomsAtUsable = space.inspect.openRoomNames().length
  await directorySynced
  const directoryMs = performance.now() - started
  const weekDigest = await space.whenWeekDigestFetched()
  if (usableOnly) {
    // Bytes until usable only: the background pass may already have started on other rooms.
    const sample = { usableMs, syncedMs: Number.NaN, bytesReceived: bytesAtUsable, roomsAtUsable, roomsAtEnd: roomsAtUsable, directoryMs, patientsFrom, weekDigest }
    return { sample, practice }
  }
  await openRest(space, p.docOrder.slice(2), (id) => expectedOf(p, id), timeoutMs)
  const syncedMs = performance.now() - started
  return {
    sample: {
      usableMs,
      syncedMs,
      bytesReceived: counter.received,
      roomsAtUsable,
      roomsAtEnd: space.inspect.openRoomNames().length,
      directoryMs,
      patientsFrom,
      weekDigest,
    },
    practice,
  }
}

/**
 * Opens the docs a device does not need to start, room by room, a few rooms at a time in the order
 * of the app's own background pass (background-pass.ts), rather than every room at once: 120 month
 * rooms opened together cost more in handshakes and relay loads than they gain.
 */
async function openRest(space: Practice, docIds: readonly string[], expected: (id: string) => StateVector, timeoutMs: number): Promise<void> {
  const byRoom = new Map<RoomName, string[]>()
  for (const id of docIds) {
    const room = await space.roomOfDoc(id)
    byRoom.set(room, [...(byRoom.get(room) ?? []), id])
  }
  const ordered = backgroundOrder([...byRoom.keys()], localToday())
  // backgroundOrder leaves out `main` (always open): its docs go first.
  const rooms = [...[...byRoom.keys()].filter((room) => !ordered.includes(room)), ...ordered]
  await runBounded(rooms, BACKGROUND_CONCURRENCY, async (room) => {
    await Promise.all(byRoom.get(room)!.map(async (id) => until(await space.openDoc(id), (d) => hasState(d, expected(id)), timeoutMs)))
    return 'next'
  })
}

/** The floor: every frame of the bytes server (floor-transport.ts) applied to a fresh Y.Doc. */
export async function floorOnce(url: string, p: UsableTarget, docCount: number): Promise<JoinSample> {
  const started = performance.now()
  let bytesReceived = 0
  let usableMs = 0
  const docs = new Map<string, Y.Doc>()
  const socket = new WebSocket(url)
  socket.binaryType = 'arraybuffer'
  let syncedMs: number
  try {
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject)
      socket.on('message', (data: ArrayBuffer) => {
        // A throw in a listener would escape the promise (an uncaught exception): reject instead.
        try {
          bytesReceived += data.byteLength
          const { docId, update } = decodeDocFrame(new Uint8Array(data))
          const doc = new Y.Doc({ guid: docId, gc: true })
          Y.applyUpdate(doc, update)
          docs.set(docId, doc)
          if (usableMs === 0 && docs.has(DIRECTORY_DOC_ID) && docs.has(p.currentMonthDocId)) {
            listUsable(docs.get(DIRECTORY_DOC_ID)!, docs.get(p.currentMonthDocId)!, p.patients)
            usableMs = performance.now() - started
          }
          if (docs.size === docCount) resolve()
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)))
        }
      })
    })
    syncedMs = performance.now() - started
  } finally {
    socket.terminate()
  }
  return { usableMs, syncedMs, bytesReceived, directoryMs: usableMs }
}

/** A fresh stock client: one provider per doc, each doc checked against A's state vector. */
export async function stockOnce(url: string, p: SyncTarget): Promise<JoinSample> {
  const counter: ByteCounter = { sent: 0, received: 0 }
  const WebSocketImpl = countingWebSocket(counter)
  const providers: Array<{ destroy(): void }> = []
  const started = performance.now()
  const open = async (id: string): Promise<Y.Doc> => {
    const doc = new Y.Doc({ guid: id, gc: true })
    providers.push(stockProvider({ url }, id, doc, WebSocketImpl))
    await until(doc, (d) => hasState(d, expectedOf(p, id)), SYNC_TIMEOUT_MS)
    return doc
  }
  try {
    const [directory, month] = await Promise.all([open(DIRECTORY_DOC_ID), open(p.currentMonthDocId)])
    listUsable(directory, month, p.patients)
    const usableMs = performance.now() - started
    await Promise.all(p.docOrder.slice(2).map(open))
    return { usableMs, syncedMs: performance.now() - started, bytesReceived: counter.received, directoryMs: usableMs }
  } finally {
    for (const provider of providers) provider.destroy()
  }
}
