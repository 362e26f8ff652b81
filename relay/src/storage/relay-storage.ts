/**
 * What the relay persists, behind one interface so SQLite (embedded default, sqlite-storage.ts)
 * and PostgreSQL (several relay nodes, postgres-storage.ts) pass the same contract suite
 * (storage-contract.ts).
 *
 * Per space: the hash of its access credential, and per room of the space an append-only log of
 * envelope updates (opaque Yjs updates of the encrypted envelope doc), each with an increasing
 * `seq`. Compaction replaces a prefix of a room's log with one merged update.
 *
 * Rooms: every room of a space, its main room included, has a blinded id (22 base64url chars,
 * shared/src/space/room-keys.ts): the relay cannot tell which room holds what. A room is
 * registered once, by admitRoom, under the relay's rooms-per-space limit; its log takes appends
 * only once admitted.
 *
 * Per space also: attachments, opaque ciphertext blobs addressed by the SHA-256 of their bytes
 * (lower-case hex), shared by all rooms of the space. The route verifies the hash before calling
 * putAttachment; storage trusts it.
 *
 * Per space, what it costs the relay (SpaceUsage): the bytes of its envelope rows (every room), and
 * the number and bytes of its attachments, kept by the backend in step with every write, so that a
 * quota is checked atomically with the write it bounds (appendUpdate, putAttachment).
 *
 * Per space also: digests, one opaque ciphertext per name (a read-only snapshot of a doc that a
 * fresh device shows before the doc has synced), each with the weight its publisher claims (how
 * much of the doc's history it covers; the relay cannot check it) and a version the storage
 * assigns (1 for the first, +1 at each replacement). A digest is replaced only by compare-and-swap
 * on the version its publisher read (`DigestPrecondition`), atomically with the comparison: a
 * device replaces what it has looked at, never a digest stored meanwhile, and a forged weight pins
 * nothing (docs/relay.md, « Digests »).
 *
 * Beside the spaces: the pairings open on the relay (pairing-rows.ts), a new device's public keys
 * waiting ten minutes for an administrator's device to claim them and leave a sealed answer. In
 * storage, not in one node's memory, so that on a multi-node relay the joining device's poll and
 * the administrator's answer may reach different nodes. An expired pairing is never answered, and
 * its row is removed on the way (every open and count removes all the expired ones).
 */
import type { DeviceRole } from '../../../shared/src/devices/registry-chain'
import type { OpenPairingResult, PairingBounds, PairingDecision, StoredPairing } from './pairing-rows'

export type { OpenPairingResult, PairingBounds, PairingDecision, StoredPairing }

export type AdmitRoomResult = 'admitted' | 'limit'

export type CreateSpaceResult = 'created' | 'exists' | 'conflict'
export type AppendDeviceEntryResult = 'appended' | 'conflict'

/** What a device registry entry changes in who may open the space (relay/src/devices/). */
export type DeviceEffect =
  | {
      readonly kind: 'add'
      readonly deviceId: string
      readonly credentialHash: Uint8Array
      /** What the device may open (shared/src/devices/registry-chain.ts); a locum's end of access, ms. */
      readonly role: DeviceRole
      readonly until: number | null
      readonly at: number
    }
  | { readonly kind: 'revoke'; readonly deviceId: string; readonly at: number }
  /** A new role and end of access for an unrevoked device; its credential is unchanged. */
  | { readonly kind: 'change'; readonly deviceId: string; readonly role: DeviceRole; readonly until: number | null; readonly at: number }

/** The registered device a credential belongs to, and what its role lets it open. */
export interface DeviceCredential {
  readonly deviceId: string
  readonly revoked: boolean
  readonly role: DeviceRole
  /** A locum's end of access (ms), null for the other roles. */
  readonly until: number | null
}
export type PutAttachmentResult = 'created' | 'exists'
/**
 * What a digest publication replaces: nothing (`absent`: none stored yet), or the stored digest of
 * that version, which the publisher read.
 */
export type DigestPrecondition = { readonly kind: 'absent' } | { readonly kind: 'version'; readonly version: number }

/**
 * `created`/`replaced` with the new version; `precondition-failed` when the stored digest is not
 * the one the publisher read (`current`: what is stored now, null when none), nothing written.
 */
export type PutDigestResult =
  | { status: 'created' | 'replaced'; version: number }
  | { status: 'precondition-failed'; current: DigestHead | null }

/** Whether a publication expecting `precondition` may replace `current` (every backend, and the route's early check). */
export function digestPreconditionHolds(precondition: DigestPrecondition, current: DigestHead | null): boolean {
  return precondition.kind === 'absent' ? current === null : current?.version === precondition.version
}

/** A stored digest's metadata: the weight its publisher claimed, and its version. */
export interface DigestHead {
  weight: number
  version: number
}

export interface StoredDigest extends DigestHead {
  data: Uint8Array
}

/** What one space holds on the relay, for its quotas (digests aside: one per name, each bounded). */
export interface SpaceUsage {
  /** Bytes of every envelope row of every room of the space (what compaction shrinks). */
  envelopeBytes: number
  attachments: number
  attachmentBytes: number
}

/** The per-space limits of attachments: an upload is refused when it would go past either. */
export interface AttachmentQuota {
  maxAttachments: number
  maxAttachmentBytes: number
}

/** What publishing a key epoch did: `conflict` when that epoch or a newer one is already stored. */
export type PublishKeyEpochResult = 'published' | 'conflict'
/** What granting a key epoch to a device did: `conflict` when that device already has its seal. */
export type GrantKeyEpochResult = 'granted' | 'conflict'

/** One epoch's tier secrets sealed to one device (shared/src/devices/epoch-seal.ts), opaque to the relay. */
export interface StoredEpochSeal {
  readonly epoch: number
  /** The administrator device that sealed it. */
  readonly by: string
  readonly sealed: string
}

/**
 * A key grant (shared/src/devices/key-grant.ts): an administrator's signed statement holding the
 * keys of a device's role sealed to it, which the relay cannot open. One per device, the newest.
 */
export interface StoredKeyGrant {
  readonly deviceId: string
  /** The registry's length it was made for (checked by the route and, atomically, by storage). */
  readonly chain: number
  /** The administrator device that signed it. */
  readonly by: string
  /** The signed grant's JSON text, as the administrator sent it. */
  readonly entry: string
}

/** What storing a key grant did: `conflict` when the registry no longer has `chain` entries. */
export type PutKeyGrantResult = 'stored' | 'conflict'

export interface StoredUpdates {
  /** In append order. */
  updates: Uint8Array[]
  /** Seq of the last row returned, 0 when none is returned. */
  lastSeq: number
}

/** Which engine a storage runs on (GET /healthz says it). */
export type StorageKind = 'sqlite' | 'postgres'

export interface RelayStorage {
  readonly kind: StorageKind
  /**
   * Registers a space. `exists` when it is already registered with the same credential hash (a
   * retried enrolment), `conflict` when registered with another one.
   */
  createSpace(spaceId: string, credentialHash: Uint8Array): Promise<CreateSpaceResult>
  /** The stored credential hash, or null for an unknown space. */
  getCredentialHash(spaceId: string): Promise<Uint8Array | null>
  /** The space's device registry entries, in order (their JSON text, as the devices signed it). */
  listDeviceEntries(spaceId: string): Promise<string[]>
  /**
   * Stores registry entry `seq` if it is the next one, with its effect on the space's
   * credentials, atomically and durably; `conflict`, with nothing written, when the space already
   * has an entry at `seq` (another administrator's change came first). The caller verified the
   * entry against the chain. Rejects with UnknownSpaceError for a space that was never created.
   * A revocation or a change drops the target's key grant (it was made for the role it had); a
   * change that comes with a grant (a secretary upgraded, key-grant.ts) stores it in the same
   * transaction, so the widened role is never stored without the keys it needs, nor the reverse.
   */
  appendDeviceEntry(spaceId: string, seq: number, entry: string, effect: DeviceEffect, grant?: StoredKeyGrant): Promise<AppendDeviceEntryResult>
  /** The registered device whose credential hashes to `credentialHash`, or null. */
  findDevice(spaceId: string, credentialHash: Uint8Array): Promise<DeviceCredential | null>
  /** How many devices the space's registry has granted (revoked ones included). */
  countDevices(spaceId: string): Promise<number>
  /** Records when a registered device was last seen (a socket opened or closed); not durable-critical. */
  touchDevice(spaceId: string, deviceId: string, at: number): Promise<void>
  /** When each registered device of the space was last seen, for those seen at all. */
  devicesLastSeen(spaceId: string): Promise<Map<string, number>>
  /** The key epochs published in the space (shared/src/devices/key-epoch-entry.ts), ascending. */
  listKeyEpochs(spaceId: string): Promise<number[]>
  /**
   * Stores a rotation to key epoch `epoch` (its signed entry's text) and its seals, one per
   * device, atomically and durably; `conflict`, with nothing written, when `epoch` or a newer
   * epoch is already stored (another administrator's came first). The caller checked the entry
   * against the registry chain. Rejects with UnknownSpaceError for an unknown space.
   */
  publishKeyEpoch(spaceId: string, epoch: number, entry: string, by: string, seals: ReadonlyMap<string, string>): Promise<PublishKeyEpochResult>
  /** Stores one more device's seal of a published epoch; `conflict` when that device has one. */
  grantKeyEpoch(spaceId: string, epoch: number, deviceId: string, by: string, sealed: string): Promise<GrantKeyEpochResult>
  /** The seals addressed to `deviceId`, by ascending epoch. */
  listEpochSeals(spaceId: string, deviceId: string): Promise<StoredEpochSeal[]>
  /**
   * Stores a key grant in place of the device's previous one, durably, only if the registry
   * still has `grant.chain` entries (checked in the same transaction); `conflict` otherwise.
   */
  putKeyGrant(spaceId: string, grant: StoredKeyGrant): Promise<PutKeyGrantResult>
  /** The device's key grant, or null. */
  getKeyGrant(spaceId: string, deviceId: string): Promise<StoredKeyGrant | null>
  /**
   * The room's rows in append order (none for a room never admitted or never written); with
   * `afterSeq`, only the rows of seq > afterSeq (a node of a multi-node relay catching up on what
   * it missed, fanout/). A compacted row has the seq of the newest row it replaced, so the rows
   * after a seq always hold everything appended after it.
   */
  loadUpdates(spaceId: string, roomId: string, afterSeq?: number): Promise<StoredUpdates>
  /**
   * Lets a device use a room of the space: `admitted` if the room is already registered, or if
   * the space has fewer than `maxRooms` rooms (then it is registered, atomically with the count);
   * `limit` otherwise, with nothing written. Rejects with UnknownSpaceError for a space that was
   * never created.
   */
  admitRoom(spaceId: string, roomId: string, maxRooms: number): Promise<AdmitRoomResult>
  /**
   * Appends one update to an admitted room and resolves with its seq only once it is durable: the
   * relay acknowledges an update to the device after this, and a restart must not lose anything
   * acknowledged. Rejects with UnknownSpaceError for a space that was never created,
   * UnknownRoomError for a room that was not admitted, and SpaceQuotaError, with nothing written,
   * when the space's envelope rows would then weigh more than `maxSpaceBytes` (checked atomically
   * with the write; no limit when omitted).
   */
  appendUpdate(spaceId: string, roomId: string, update: Uint8Array, maxSpaceBytes?: number): Promise<number>
  /**
   * Atomically replaces every row of the room with seq ≤ upToSeq by one row holding
   * `mergedState`, which must contain everything those rows held. Rows appended after upToSeq are
   * kept. This is what erases the ciphertext of deleted envelope entries from disk. With several
   * relay nodes on one database, rows up to upToSeq may have been appended by another node: the
   * caller must hold every one of them in `mergedState` (a room's seqs have no gaps on PostgreSQL,
   * so a node can tell which it lacks), or they are lost.
   */
  compact(spaceId: string, roomId: string, mergedState: Uint8Array, upToSeq: number): Promise<void>
  /**
   * Stores an attachment's ciphertext under its hash, durably before resolving. Idempotent: the
   * same hash again is `exists` and keeps the first bytes (same hash, same bytes), whatever the
   * quota. Rejects with UnknownSpaceError for a space that was never created, and SpaceQuotaError,
   * with nothing written, when a new attachment would take the space past `quota` (checked
   * atomically with the write; no limit when omitted).
   */
  putAttachment(spaceId: string, hash: string, data: Uint8Array, quota?: AttachmentQuota): Promise<PutAttachmentResult>
  /** What the space holds, or null for an unknown space. */
  spaceUsage(spaceId: string): Promise<SpaceUsage | null>
  /** The attachment's bytes, or null when this space holds none under that hash. */
  getAttachment(spaceId: string, hash: string): Promise<Uint8Array | null>
  /**
   * Stores the digest `name` of the space, durably before resolving, if `precondition` holds
   * (compared and written in one transaction): `created` (version 1) when none was stored and
   * `absent` was expected, `replaced` (version + 1) when the stored one has the expected version;
   * otherwise `precondition-failed` with what is stored, nothing written. The weight is stored as
   * given, never compared. Rejects with UnknownSpaceError for a space that was never created.
   */
  putDigest(spaceId: string, name: string, weight: number, data: Uint8Array, precondition: DigestPrecondition): Promise<PutDigestResult>
  /** The digest, its weight and version, or null when the space holds none under that name. */
  getDigest(spaceId: string, name: string): Promise<StoredDigest | null>
  /** The stored digest's weight and version without reading its bytes, or null when there is none. */
  getDigestHead(spaceId: string, name: string): Promise<DigestHead | null>
  /**
   * Stores a new pairing (stage `waiting`), after removing every pairing expired at `now`, if the
   * relay holds fewer than `bounds.maxOpen` live pairings and its address fewer than
   * `bounds.maxPerAddress` (counted atomically with the insert: two opens at once on two nodes
   * cannot both pass); `code_taken` when a live pairing has its code. Nothing is written unless
   * `opened`.
   */
  openPairing(pairing: StoredPairing, now: number, bounds: PairingBounds): Promise<OpenPairingResult>
  /**
   * Reads the live pairing `code` (null, nothing called, when it is unknown or expired at `now`),
   * lets `decide` say what becomes of it, and writes that, atomically: of two calls on one pairing
   * at once, the second decides on what the first wrote (an answer is taken once).
   */
  updatePairing<T>(code: string, now: number, decide: PairingDecision<T>): Promise<T | null>
  /** The pairings live at `now`, the expired ones removed (tournee_pairings_open). */
  countPairings(now: number): Promise<number>
  /** Finishes pending writes and releases the backend; later calls reject with StorageClosedError. */
  close(): Promise<void>
}

export class UnknownSpaceError extends Error {
  override name = 'UnknownSpaceError'
  constructor(readonly spaceId: string) {
    super(`Space ${spaceId} is not registered: create it with PUT /v1/spaces/${spaceId} first`)
  }
}

export class UnknownRoomError extends Error {
  override name = 'UnknownRoomError'
  constructor(
    readonly spaceId: string,
    readonly roomId: string,
  ) {
    super(`Room ${roomId} of space ${spaceId} was not admitted: admitRoom first`)
  }
}

/** Which quota of a space a write would have gone past. */
export type SpaceQuotaKind = 'envelope-bytes' | 'attachments' | 'attachment-bytes'

export class SpaceQuotaError extends Error {
  override name = 'SpaceQuotaError'
  constructor(
    readonly spaceId: string,
    readonly quota: SpaceQuotaKind,
    /** What the space holds now, in the quota's unit (bytes or attachments). */
    readonly used: number,
    readonly limit: number,
  ) {
    super(`Space ${spaceId} is at its ${quota} quota on this relay (${used} of ${limit}): the relay's operator can raise it`)
  }
}

export class StorageClosedError extends Error {
  override name = 'StorageClosedError'
  constructor() {
    super('Relay storage is closed: the relay is shutting down')
  }
}
