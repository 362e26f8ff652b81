/**
 * The space manifest: a small doc in the main room that says how the practice's data is laid out,
 * so that a future change of layout (rooms.ts) is a migration the devices coordinate rather than a
 * fork every version carries for ever. It travels like any doc: encrypted, in the main room.
 *
 *   doc 'manifest', Y.Map 'manifest':
 *     format     number   the layout and envelope format of the practice (SPACE_FORMAT today: 1)
 *     createdAt  number   epoch ms, when the practice was created
 *     createdBy  string   the creating device's id
 *
 * Written once, by the device that creates the practice. A device that reads a format newer than
 * the one it knows must not write into rooms a newer layout may no longer read: it stops syncing
 * and says "update the app" (client/src/sync). A future migration raises `format` once the devices
 * have moved the data, in the same main-room transaction as its own bookkeeping.
 */
import type * as Y from 'yjs'
import { z } from 'zod'

/** The format this code writes and reads: one layout (rooms.ts), one envelope (envelope.ts). */
export const SPACE_FORMAT = 1

const MANIFEST_MAP = 'manifest'

export interface SpaceManifest {
  readonly format: number
  readonly createdAt: number
  readonly createdBy: string
}

const ManifestSchema = z.object({
  format: z.number().int().min(1),
  createdAt: z.number().int().nonnegative(),
  createdBy: z.string().min(1).max(64),
})

export class ManifestError extends Error {
  override name = 'ManifestError'
}

/** Writes the manifest of a new practice. Refuses to overwrite one: the format only moves by migration. */
export function writeManifest(doc: Y.Doc, manifest: Omit<SpaceManifest, 'format'>): SpaceManifest {
  const map = doc.getMap<unknown>(MANIFEST_MAP)
  if (map.size > 0) throw new ManifestError('This practice already has a manifest')
  const written: SpaceManifest = { format: SPACE_FORMAT, ...ManifestSchema.omit({ format: true }).parse(manifest) }
  doc.transact(() => {
    map.set('format', written.format)
    map.set('createdAt', written.createdAt)
    map.set('createdBy', written.createdBy)
  })
  return written
}

/**
 * The manifest, or null while none has arrived (a device whose main room has not synced yet).
 * Throws ManifestError when what is there is not a manifest: a device with the key wrote garbage.
 */
export function readManifest(doc: Y.Doc): SpaceManifest | null {
  const map = doc.getMap<unknown>(MANIFEST_MAP)
  if (map.size === 0) return null
  const parsed = ManifestSchema.safeParse(map.toJSON())
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ManifestError(`Invalid space manifest field ${issue ? issue.path.join('.') : '?'}`)
  }
  return parsed.data
}

/** Whether this code can work in a practice of this manifest (same format, or none known yet). */
export function isFormatSupported(manifest: SpaceManifest | null): boolean {
  return manifest === null || manifest.format <= SPACE_FORMAT
}
