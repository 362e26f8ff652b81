/**
 * The change log of a doc: one top-level Y.Array, `history`, that the record layer (records.ts)
 * appends to in the same transaction as every write it makes, for every collection of the doc.
 *
 *   doc.getArray('history')
 *     { kind: 'create',  collection: 'patients', recordId: 'pQ3…', at: 1795…, by: { memberId, deviceId } }
 *     { kind: 'change',  collection: 'patients', recordId: 'pQ3…', field: 'phones',
 *       previous: ['0612345678'], value: ['0698765432'], at, by }      previous/value absent = field absent
 *     { kind: 'delete' | 'restore', collection, recordId, at, by }
 *     { kind: 'merge', collection, recordId: <kept>, from: <merged>, at, by }
 *
 * Why one array and not one per record: a nested Y.Array created lazily by two devices under the
 * same map key would be last-writer-wins, and one device's entries would vanish. Items appended to
 * one top-level array from two replicas are all kept, so two concurrent edits of the same field
 * both leave their entry, and the value that lost the last-writer-wins race is still readable here.
 *
 * Growth: one small plain object per changed field per write (about 150 bytes plus the values),
 * never removed. Compaction, later, would drop entries older than a retention period into a
 * summary per record (first and last value) when the doc is compacted; reads already tolerate gaps.
 * Field values (identity data for patients) live only inside the encrypted doc: never log them.
 */
import * as Y from 'yjs'
import { z } from 'zod'
import type { Actor } from './actor'
import { actor as actorSchema } from './field-schemas'

export const HISTORY_ARRAY = 'history'

export const CHANGE_KINDS = ['create', 'change', 'delete', 'restore', 'merge'] as const
export type ChangeKind = (typeof CHANGE_KINDS)[number]

const entryBase = {
  collection: z.string(),
  recordId: z.string(),
  at: z.number(),
  by: actorSchema,
}

/** Entries as read back: untrusted (another device, another version), so checked one by one. */
export const changeEntrySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('create'), ...entryBase }),
  z.object({
    kind: z.literal('change'),
    ...entryBase,
    field: z.string(),
    previous: z.unknown().optional(),
    value: z.unknown().optional(),
  }),
  z.object({ kind: z.literal('delete'), ...entryBase }),
  z.object({ kind: z.literal('restore'), ...entryBase }),
  z.object({ kind: z.literal('merge'), ...entryBase, from: z.string() }),
])

export type ChangeEntry = z.output<typeof changeEntrySchema>
export type FieldChange = Extract<ChangeEntry, { kind: 'change' }>

export function historyArray(doc: Y.Doc): Y.Array<unknown> {
  return doc.getArray<unknown>(HISTORY_ARRAY)
}

/** Values are stored as plain JSON: a Y type (a note's Y.Text) as its JSON form. */
function plain(value: unknown): unknown {
  return value instanceof Y.AbstractType ? (value.toJSON() as unknown) : value
}

/** A field change as stored: `previous`/`value` keys are left out when the field was/becomes absent. */
export function fieldChange(
  collection: string,
  recordId: string,
  field: string,
  previous: unknown,
  value: unknown,
  at: number,
  by: Actor,
): FieldChange {
  const entry: FieldChange = { kind: 'change', collection, recordId, field, at, by: { ...by } }
  if (previous !== undefined) entry.previous = plain(previous)
  if (value !== undefined) entry.value = plain(value)
  return entry
}

/** Appends entries; callers run it inside the transaction of the write it describes. */
export function appendChanges(doc: Y.Doc, entries: readonly ChangeEntry[]): void {
  if (entries.length > 0) historyArray(doc).push([...entries])
}

/**
 * Every readable entry about the records `recordIds` of `collection`, newest first (by time, then
 * by position in the log). Unreadable entries are skipped: history is a view, never a reason to fail.
 */
export function recordHistory(doc: Y.Doc, collection: string, id: string | readonly string[]): ChangeEntry[] {
  const ids = new Set(typeof id === 'string' ? [id] : id)
  const found: { entry: ChangeEntry; index: number }[] = []
  historyArray(doc).forEach((item, index) => {
    if (typeof item !== 'object' || item === null) return
    const raw = item as { collection?: unknown; recordId?: unknown }
    if (raw.collection !== collection || typeof raw.recordId !== 'string' || !ids.has(raw.recordId)) return
    const parsed = changeEntrySchema.safeParse(item)
    if (parsed.success) found.push({ entry: parsed.data, index })
  })
  found.sort((a, b) => b.entry.at - a.entry.at || b.index - a.index)
  return found.map((f) => f.entry)
}
