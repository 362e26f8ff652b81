/**
 * Every record id of an archive, by FHIR type: what the import's first pass keeps for references
 * (archive-read.ts) — a reference must name a record of the archive — and what the second pass
 * and the stamps (archive-stamps.ts) find records by. Each id is held once, here, with its
 * ordinal in its type (0, 1, 2… in the order the archive lists them).
 */
import { ArchiveImportError } from './archive-error'
import type { Where } from './fhir-records'

export class ArchiveIndex {
  private readonly ids = new Map<string, Map<string, number>>()

  claim(type: string, id: string, where: Where): void {
    let ids = this.ids.get(type)
    if (!ids) {
      ids = new Map()
      this.ids.set(type, ids)
    }
    if (ids.has(id)) throw new ArchiveImportError('duplicate_id', `identifiant ${type}/${id} en double`, { ...where, field: 'id' })
    ids.set(id, ids.size)
  }

  has(type: string, id: string): boolean {
    return this.ids.get(type)?.has(id) === true
  }

  /** The record's ordinal in its type; undefined when the archive has no such record. */
  ordinal(type: string, id: string): number | undefined {
    return this.ids.get(type)?.get(id)
  }

  mustExist(type: string, id: string | undefined, where: Where, field: string): void {
    if (id !== undefined && !this.has(type, id)) throw new ArchiveImportError('unknown_reference', `${type}/${id} n'est pas dans l'archive`, { ...where, field })
  }
}
