/**
 * What a screen may do with the practice: open a doc (and let go of it), read the sync state and
 * ask to sync now, see how far each doc it holds can be trusted, read the digests shown while docs
 * sync, use attachments, say that its first screen is up. Nothing else: no socket, no key, no
 * room, no test hook (practice.ts holds those).
 */
import type * as Y from 'yjs'
import type { DirectoryDigest } from '../../../../shared/src/digest/directory-digest'
import type { WeekDigest } from '../../../../shared/src/digest/week-digest'
import type { AttachmentSync } from '../attachments/attachment-sync'
import type { DigestSource } from '../digests/digest-source'
import type { SyncState } from '../sync-state'
import type { DocFreshness } from './doc-freshness'

/** A doc held by its user: live while held (its room is connected), until `release()`. */
export interface DocLease {
  readonly doc: Y.Doc
  /** Lets go of the doc (idempotent); its room may then be released after a grace period. */
  release(): void
}

export interface PracticeHandle {
  readonly spaceId: string
  /**
   * Whether this device holds the clinical tier's keys (its role: praticien or remplaçant). Without
   * them, acquiring a patient's file rejects (MissingTierKeyError) and the screens show its
   * clinical parts as « réservé aux praticiens » (views/patients/file/ClinicalReserved.tsx).
   */
  readonly readsClinical: boolean
  /**
   * Opens a doc for a screen ('view') or for the screen a person will probably show next
   * ('prefetch': only once what is shown now has synced). Rejects when the doc's room cannot open
   * (storage).
   */
  acquireDoc(docId: string, priority: 'view' | 'prefetch'): Promise<DocLease>
  getSyncState(): SyncState
  subscribe(listener: () => void): () => void
  /**
   * How far a doc acquired through this handle can be trusted now: live, catching up, or behind
   * (offline), and whether what it holds is known complete (doc-freshness.ts).
   */
  docFreshness(docId: string): DocFreshness
  /** Told of every change of any room's state, and of going on- or offline: docFreshness may differ. */
  subscribeRooms(listener: () => void): () => void
  /** « Synchroniser maintenant »: push queued changes and reconnect every room now. */
  syncNow(): void
  /**
   * Resolves once every room this device wrote to is listed in the directory's room index
   * (room-index.ts), which a write updates in the background: what reads the index for the months
   * the practice holds (the export) waits for it, so a change saved just before is not left out.
   */
  roomsListed(): Promise<void>
  /**
   * What the directory's views read until the directory has synced (digests/digest-source.ts);
   * `beforeClear()` keeps what was shown while the views' index of the live doc builds, until
   * they `release()` it.
   */
  readonly directoryDigest: DigestSource<DirectoryDigest> & { beforeClear(): DirectoryDigest | null; release(): void }
  /** What the agenda reads for this week and the next until their months have synced. */
  readonly weekDigest: DigestSource<WeekDigest> & { beforeClear(): WeekDigest | null }
  /** The practice's attachments on this device; null when they could not start (see attachmentFailure). */
  readonly attachments: AttachmentSync | null
  readonly attachmentFailure: unknown
  /**
   * The views show what the person came for (a screen past « Qui êtes-vous ? »): a new device's
   * main room, held back for the digest, may now bring the directory. Harmless otherwise.
   */
  firstScreenShown(): void
  /**
   * Resolves when a view's work cut in slices (reading 20,000 patients) may do its next slice: the
   * browser has drawn and handled input, and the person has paused (decode/main-thread.ts).
   */
  nextSlice(): Promise<void>
}
