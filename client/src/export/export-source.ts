/**
 * What the export reads, as the device holds it: the directory, the agenda months the practice
 * wrote to, the patient files (when this device's role holds their keys) and the attachments'
 * bytes. The app gives its practice handle's docs (practice-export-source.ts); tests give plain
 * Y.Docs. Every doc is held only while it is read, so a ten-year practice is never all in memory.
 */
import type * as Y from 'yjs'

export interface ExportSource {
  readonly directory: Y.Doc
  /** The agenda months ('YYYY-MM') the practice has written to, in any order. */
  readonly months: readonly string[]
  /** Whether this device holds the clinical files (a secretary's device does not). */
  readonly readsClinical: boolean
  /** Opens a doc ('agenda/2026-11', 'patient/<id>') for the time of `read`, then lets it go. */
  withDoc<T>(docId: string, read: (doc: Y.Doc) => T | Promise<T>): Promise<T>
  /**
   * An attachment's plaintext, from this device or the relay; rejects when neither can give it
   * (offline and not kept here). Null when this device has no attachment store at all.
   */
  readonly attachmentBytes: ((hash: string) => Promise<Uint8Array>) | null
}
