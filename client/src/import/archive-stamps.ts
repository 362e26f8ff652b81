/**
 * Records' stamps as the archive's Provenance gives them (client/src/export/fhir-history.ts writes
 * one CREATE per appointment and note, and one UPDATE when it changed since): who created the
 * record and when, who changed it last and when. archive-write.ts writes them back on the records
 * it makes, the members mapped to this practice's.
 *
 * Held from the read to the write, one small entry per record; actors are shared (a practice has a
 * few members and devices, its records hundreds of thousands).
 */
import type { Actor } from '../../../shared/src/model'
import type { RecordStamps } from '../../../shared/src/model/records'
import { ArchiveImportError } from './archive-error'
import type { ProvenanceRead } from './fhir-history-records'
import type { Where } from './fhir-records'

/** The stamps of the archive's records, by FHIR type and archive id. */
export interface ArchiveStampsView {
  /** `type`/`archiveId` as the Provenance targets them ('Appointment', 'DocumentReference'); undefined without a CREATE. */
  of(type: string, archiveId: string): RecordStamps | undefined
  /** Records with stamps. */
  readonly size: number
}

type Entry = { createdAt: number; createdBy: Actor; updatedAt?: number; updatedBy?: Actor }

export class ArchiveStamps implements ArchiveStampsView {
  private readonly byTarget = new Map<string, Entry>()
  private readonly actors = new Map<string, Actor>()

  private actor(by: Actor): Actor {
    const key = `${by.memberId}\n${by.deviceId}`
    let shared = this.actors.get(key)
    if (!shared) {
      shared = { memberId: by.memberId, deviceId: by.deviceId }
      this.actors.set(key, shared)
    }
    return shared
  }

  /**
   * One Provenance, its target already resolved (archive-read.ts). The export writes a record's
   * CREATE before its UPDATE: an UPDATE first, or either twice, is a damaged archive.
   */
  add(read: ProvenanceRead, where: Where): void {
    const key = `${read.target.type}/${read.target.id}`
    const entry = this.byTarget.get(key)
    const by = this.actor(read.by)
    if (read.activity === 'CREATE') {
      if (entry) throw new ArchiveImportError('duplicate_id', `deux créations pour ${key}`, { ...where, field: 'activity' })
      this.byTarget.set(key, { createdAt: read.at, createdBy: by })
      return
    }
    if (!entry) throw new ArchiveImportError('bad_field', `modification de ${key} avant sa création`, { ...where, field: 'activity' })
    if (entry.updatedAt !== undefined) throw new ArchiveImportError('duplicate_id', `deux dernières modifications pour ${key}`, { ...where, field: 'activity' })
    entry.updatedAt = read.at
    entry.updatedBy = by
  }

  of(type: string, archiveId: string): RecordStamps | undefined {
    const entry = this.byTarget.get(`${type}/${archiveId}`)
    if (!entry) return undefined
    // No UPDATE: the record had not changed since its creation.
    return { createdAt: entry.createdAt, createdBy: entry.createdBy, updatedAt: entry.updatedAt ?? entry.createdAt, updatedBy: entry.updatedBy ?? entry.createdBy }
  }

  get size(): number {
    return this.byTarget.size
  }
}
