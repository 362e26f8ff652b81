/**
 * What the UI may know about sync. Views read it through a hook; they never see sockets or keys.
 */

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

export const RefusalReason = {
  /** Credential unknown or revoked. */
  Unauthorized: 'unauthorized',
  /** The relay does not know this space (wrong relay, or the space was deleted). */
  SpaceNotFound: 'space-not-found',
  /** This app's origin is not allowed by the relay. */
  Forbidden: 'forbidden',
  /** The relay speaks another protocol version: update the app. */
  ProtocolMismatch: 'protocol-mismatch',
  /** The relay allows this practice no more rooms (agenda years, file shards): its operator must act. */
  TooManyRooms: 'too-many-rooms',
} as const
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason]

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
  restoring: false,
  incoming: 0,
  outgoing: 0,
}
