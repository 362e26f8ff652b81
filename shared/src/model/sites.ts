import type * as Y from 'yjs'
import type { Actor, Clock } from './actor'
import { DIRECTORY_MAPS } from './collections'
import { newRecordId } from './ids'
import { siteFields } from './input-schemas'
import type { Patch, SiteInput } from './input-schemas'
import { siteRecord } from './record-schemas'
import type { Site } from './record-schemas'
import { compareFr, findRecord, insertRecord, isDeleted, markDeleted, readAll, requireRecord, updateRecord } from './records'
import type { ListResult } from './records'
import { validateSiteInput } from './validation'

const NAME = DIRECTORY_MAPS.sites
const KEYS = Object.keys(siteFields.shape)

export function addSite(doc: Y.Doc, input: SiteInput, actor: Actor, clock: Clock): string {
  const fields = validateSiteInput(input)
  const id = newRecordId()
  insertRecord(doc, NAME, id, { ...fields, active: fields.active ?? true }, actor, clock)
  return id
}

export function updateSite(doc: Y.Doc, id: string, patch: Patch<SiteInput>, actor: Actor, clock: Clock): boolean {
  return updateRecord(doc, NAME, id, patch, validateSiteInput, KEYS, actor, clock)
}

export function softDeleteSite(doc: Y.Doc, id: string, actor: Actor, clock: Clock): void {
  markDeleted(doc, requireRecord(doc, NAME, id), actor, clock)
}

export function listSites(doc: Y.Doc, options: { includeInactive?: boolean; includeDeleted?: boolean } = {}): ListResult<Site> {
  const result = readAll(
    doc,
    NAME,
    siteRecord,
    (s) => (options.includeDeleted || !isDeleted(s)) && (options.includeInactive || s.active),
  )
  result.items.sort((a, b) => compareFr(a.name, b.name) || a.id.localeCompare(b.id))
  return result
}

export function hasSite(doc: Y.Doc, id: string): boolean {
  return findRecord(doc, NAME, id) !== undefined
}
