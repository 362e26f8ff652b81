/**
 * Records' stamps as the archive's Provenance gives them (client/src/export/fhir-history.ts writes
 * one CREATE per appointment and note, and one UPDATE when it changed since): who created the
 * record and when, who changed it last and when. archive-write.ts writes them back on the records
 * it makes, the members mapped to this practice's.
 *
 * Held from the first pass to the end of the writes, one per appointment and note (55,000 a year
 * of a 10-practitioner practice), so kept compact: per record two instants and two actor numbers
 * in typed arrays, at the record's ordinal in the archive's index (archive-index.ts, which holds
 * its id once), the actors themselves once each (a practice has a few members and devices).
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

/** No actor: no CREATE (or no UPDATE) read for the record. */
const NONE = -1

/** The stamps of one FHIR type, by the records' ordinals (archive-index.ts). */
class StampColumns {
  /** Per record: created at, updated at (epoch ms; exact in a double). */
  times = new Float64Array(0)
  /** Per record: the creating actor's number, the updating one's. */
  actors = new Int32Array(0)

  /** Room for the record `ordinal`, doubling as it grows. */
  fit(ordinal: number): void {
    if (2 * ordinal + 1 < this.actors.length) return
    const size = Math.max(1024, this.actors.length * 2, 2 * ordinal + 2)
    const times = new Float64Array(size)
    times.set(this.times)
    this.times = times
    const actors = new Int32Array(size).fill(NONE)
    actors.set(this.actors)
    this.actors = actors
  }
}

/** Where a record is in the index: its type's ordinal. */
export interface RecordOrdinals {
  ordinal(type: string, id: string): number | undefined
}

export class ArchiveStamps implements ArchiveStampsView {
  private readonly columns = new Map<string, StampColumns>()
  private readonly actors: Actor[] = []
  private readonly actorNumbers = new Map<string, number>()
  private count = 0

  constructor(private readonly index: RecordOrdinals) {}

  private actorNumber(by: Actor): number {
    const key = `${by.memberId}\n${by.deviceId}`
    let n = this.actorNumbers.get(key)
    if (n === undefined) {
      n = this.actors.length
      this.actors.push({ memberId: by.memberId, deviceId: by.deviceId })
      this.actorNumbers.set(key, n)
    }
    return n
  }

  /**
   * One Provenance, its target in the index already (archive-read.ts checks it). The export writes
   * a record's CREATE before its UPDATE: an UPDATE first, or either twice, is a damaged archive.
   */
  add(read: ProvenanceRead, where: Where): void {
    const { type, id } = read.target
    const ordinal = this.index.ordinal(type, id)
    if (ordinal === undefined) throw new ArchiveImportError('unknown_reference', `${type}/${id} n'est pas dans l'archive`, { ...where, field: 'target.0.reference' })
    let columns = this.columns.get(type)
    if (!columns) {
      columns = new StampColumns()
      this.columns.set(type, columns)
    }
    columns.fit(ordinal)
    const by = this.actorNumber(read.by)
    const made = 2 * ordinal
    if (read.activity === 'CREATE') {
      if (columns.actors[made] !== NONE) throw new ArchiveImportError('duplicate_id', `deux créations pour ${type}/${id}`, { ...where, field: 'activity' })
      columns.times[made] = read.at
      columns.actors[made] = by
      this.count++
      return
    }
    if (columns.actors[made] === NONE) throw new ArchiveImportError('bad_field', `modification de ${type}/${id} avant sa création`, { ...where, field: 'activity' })
    if (columns.actors[made + 1] !== NONE) throw new ArchiveImportError('duplicate_id', `deux dernières modifications pour ${type}/${id}`, { ...where, field: 'activity' })
    columns.times[made + 1] = read.at
    columns.actors[made + 1] = by
  }

  of(type: string, archiveId: string): RecordStamps | undefined {
    const ordinal = this.index.ordinal(type, archiveId)
    const columns = this.columns.get(type)
    if (ordinal === undefined || !columns || 2 * ordinal >= columns.actors.length) return undefined
    const creator = columns.actors[2 * ordinal]!
    if (creator === NONE) return undefined
    const createdAt = columns.times[2 * ordinal]!
    const createdBy = this.actors[creator]!
    const updater = columns.actors[2 * ordinal + 1]!
    // No UPDATE: the record had not changed since its creation.
    if (updater === NONE) return { createdAt, createdBy, updatedAt: createdAt, updatedBy: createdBy }
    return { createdAt, createdBy, updatedAt: columns.times[2 * ordinal + 1]!, updatedBy: this.actors[updater]! }
  }

  get size(): number {
    return this.count
  }
}
