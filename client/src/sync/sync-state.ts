/**
 * What the UI may know about sync, and how it folds out of the rooms' states. Views read it
 * through a hook; they never see sockets or keys.
 */
import type { DigestAlarm } from './digests/digest-sync'
import type { RoomState } from './rooms/room'
import type { WriterGap } from '../../../shared/src/envelope/continuity'
import { RefusalReason } from './errors'

export { RefusalReason }

export const ConnectionStatus = {
  /** Socket open and the initial exchange done: local changes flow within a second. */
  Online: 'online',
  /** Socket open, initial exchange (state vectors, missing entries) under way. */
  Syncing: 'syncing',
  /** Trying to reach the relay (first attempt or backoff). */
  Connecting: 'connecting',
  /** No network, or the relay unreachable: everything keeps working locally. */
  Offline: 'offline',
  /** The relay refused this device: retrying will not help until someone acts. */
  Refused: 'refused',
} as const
export type ConnectionStatus = (typeof ConnectionStatus)[keyof typeof ConnectionStatus]


export interface SyncState {
  readonly status: ConnectionStatus
  /** Set when status is 'refused'. */
  readonly refusal: RefusalReason | null
  /** Envelope entries written on this device that the relay has not yet acknowledged as durable. */
  readonly pendingChanges: number
  /** Epoch ms of the last frame received from the relay, or null if never. */
  readonly lastExchangeAt: number | null
  /** Last local-storage failure (quota, IndexedDB closed), or null. Never silent. */
  readonly storageError: string | null
  /** Entries that failed to decrypt (tampered, or another key): counted, never applied. */
  readonly undecryptableEntries: number
  /**
   * Of those, the ones asked for that no device has republished yet, the changes held back behind
   * them, and the ones another device republished (shared/src/envelope/entry-repair.ts).
   */
  readonly unrepairedEntries: number
  readonly heldBackChanges: number
  readonly repairedEntries: number
  /**
   * Entries of this device the relay held something else in place of (their clocks taken by
   * another writer), written again under a new client id in this session (rooms/delivery-check.ts).
   */
  readonly resentEntries: number
  /**
   * Entries deleted from elsewhere (the relay, another tab) that no snapshot this device can read
   * covered — a wipe, a forged compaction — and that it wrote back (shared/src/envelope/envelope.ts).
   */
  readonly restoredEntries: number
  /**
   * Entries the relay had acknowledged (or sent this device) and no longer held when this device
   * connected — a relay restored from a backup, rolled back — that this device held and sent back
   * to it, in this session (rooms/room-progress.ts).
   */
  readonly returnedEntries: number
  /**
   * Docs whose content this device held (device-held state, shared/src/envelope/held-docs.ts) and
   * their envelope entries had lost — a wipe, a deletion stored before it was judged — written back.
   */
  readonly heldRestoredDocs: number
  /**
   * Open docs whose device-held state could not be written (the browser's storage refused: quota,
   * a closed database) and has not been since: what the relay then loses would not come back from
   * this device. Shown until a write succeeds again.
   */
  readonly heldFailingDocs: number
  /**
   * Changes that entries this device read say a device wrote, and that neither the relay nor this
   * device holds (shared/src/envelope/continuity.ts), per writer (a device id), largest first.
   */
  readonly missingEntries: readonly WriterGap[]
  /**
   * Digests of the relay that did not open on this device (forged, altered, another key), never
   * shown; and how many of them this device has replaced with its own (digests/digest-sync.ts).
   */
  readonly unreadableDigests: number
  readonly replacedDigests: number
  /**
   * This device had synced before, yet opened with an empty local envelope: the browser erased
   * it (eviction, Safari's 7-day rule). True until the relay's first exchange brought it back.
   */
  readonly restoring: boolean
  /**
   * While status is 'syncing': envelope entries the relay holds and this device lacks, and the
   * reverse, from the relay's state vector (sync step 1). Zero otherwise.
   */
  readonly incoming: number
  readonly outgoing: number
}

export const initialSyncState: SyncState = {
  status: ConnectionStatus.Connecting,
  refusal: null,
  pendingChanges: 0,
  lastExchangeAt: null,
  storageError: null,
  undecryptableEntries: 0,
  unrepairedEntries: 0,
  heldBackChanges: 0,
  repairedEntries: 0,
  resentEntries: 0,
  restoredEntries: 0,
  returnedEntries: 0,
  heldRestoredDocs: 0,
  heldFailingDocs: 0,
  missingEntries: [],
  unreadableDigests: 0,
  replacedDigests: 0,
  restoring: false,
  incoming: 0,
  outgoing: 0,
}

/** The rooms' gaps summed per writer, largest first. */
function missingOf(rooms: readonly RoomState[]): readonly WriterGap[] {
  if (rooms.every((room) => room.missingEntries.length === 0)) return initialSyncState.missingEntries
  const perWriter = new Map<string, number>()
  for (const room of rooms) for (const gap of room.missingEntries) perWriter.set(gap.writer, (perWriter.get(gap.writer) ?? 0) + gap.missing)
  return [...perWriter].map(([writer, missing]) => ({ writer, missing })).sort((x, y) => y.missing - x.missing || (x.writer < y.writer ? -1 : 1))
}

/** Worse first: the status of a practice is its worst room's. */
const STATUS_RANK: Record<ConnectionStatus, number> = {
  [ConnectionStatus.Refused]: 4,
  [ConnectionStatus.Offline]: 3,
  [ConnectionStatus.Connecting]: 2,
  [ConnectionStatus.Syncing]: 1,
  [ConnectionStatus.Online]: 0,
}

/** What a room's phase means for the person: is it in step with the relay? */
function statusOf(room: RoomState): ConnectionStatus {
  const { phase } = room
  switch (phase.kind) {
    case 'live':
      return ConnectionStatus.Online
    case 'refused':
      return ConnectionStatus.Refused
    case 'syncing':
      if (phase.link === 'exchanging') return ConnectionStatus.Syncing
      if (phase.link === 'offline' || phase.link === 'disconnected') return ConnectionStatus.Offline
      return ConnectionStatus.Connecting
    default:
      return ConnectionStatus.Connecting
  }
}

export interface PracticeFacts {
  /** The practice connects (not offline on purpose). */
  readonly online: boolean
  /** A refusal of the practice as a whole (its data is in a newer format), or null. */
  readonly refusal: RefusalReason | null
  /** What the practice's digests found on the relay that did not open here; none without digests. */
  readonly digests?: DigestAlarm
}

/**
 * The practice's sync state, a pure fold over its rooms in memory: the worst status wins
 * (refused, offline, connecting, syncing, online), a refusal of any room is the practice's, counts
 * are summed, the last exchange is the latest. Rooms the practice let go are not counted: they
 * had nothing pending (wanted-rooms.ts keeps those).
 */
export function foldSyncState(rooms: readonly RoomState[], practice: PracticeFacts): SyncState {
  let status: ConnectionStatus = rooms.length === 0 ? initialSyncState.status : ConnectionStatus.Online
  let refusal: RefusalReason | null = practice.refusal
  for (const room of rooms) {
    const roomStatus = statusOf(room)
    if (STATUS_RANK[roomStatus] > STATUS_RANK[status]) status = roomStatus
    if (room.phase.kind === 'refused' && refusal === null) refusal = room.phase.reason
  }
  if (!practice.online && status !== ConnectionStatus.Refused) status = ConnectionStatus.Offline
  if (refusal !== null) status = ConnectionStatus.Refused
  const sum = (pick: (room: RoomState) => number) => rooms.reduce((total, room) => total + pick(room), 0)
  const exchanges = rooms.map((room) => room.lastExchangeAt).filter((at): at is number => at !== null)
  return {
    status,
    refusal,
    pendingChanges: sum((room) => room.pendingChanges),
    lastExchangeAt: exchanges.length > 0 ? Math.max(...exchanges) : null,
    storageError: rooms.find((room) => room.storageError !== null)?.storageError ?? null,
    undecryptableEntries: sum((room) => room.undecryptableEntries),
    unrepairedEntries: sum((room) => room.unrepairedEntries),
    heldBackChanges: sum((room) => room.heldBackChanges),
    repairedEntries: sum((room) => room.repairedEntries),
    resentEntries: sum((room) => room.resentEntries),
    restoredEntries: sum((room) => room.restoredEntries),
    returnedEntries: sum((room) => room.returnedEntries),
    heldRestoredDocs: sum((room) => room.heldRestoredDocs),
    heldFailingDocs: sum((room) => room.heldFailingDocs),
    missingEntries: missingOf(rooms),
    unreadableDigests: practice.digests?.unreadable ?? 0,
    replacedDigests: practice.digests?.replaced ?? 0,
    restoring: rooms.some((room) => room.restoring),
    incoming: sum((room) => room.incoming),
    outgoing: sum((room) => room.outgoing),
  }
}

/** Whether two states show the same (a new object is handed to views only when something moved). */
export function sameSyncState(a: SyncState, b: SyncState): boolean {
  return (Object.keys(a) as Array<keyof SyncState>).every((key) => a[key] === b[key])
}
