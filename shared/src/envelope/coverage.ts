/**
 * Coverage: whether the entries of a doc that remain in the envelope hold what a deletion removed
 * (docs/sync-protocol.md, « What a device accepts of a deletion »).
 *
 * An entry's plaintext is a Yjs update (V1) of its inner doc. What it holds is read by clock, per
 * writer (client id), from the update itself, never from a doc:
 *
 *   structs  — the clock ranges of its structs: Items and GCs, not Skips (a merged update that
 *              skips clocks holds nothing in the gap; parseUpdateMeta's from/to would claim it)
 *   deletes  — the clock ranges of its delete set
 *
 * A deleted entry is covered by live entries when, for every writer,
 *   - each of its struct ranges lies within the union of the live entries' struct AND delete
 *     ranges (a structure a live entry deletes is held as deleted: its content was removed by
 *     someone who had it, which is what a snapshot of a gc'd doc and an erasure say), and
 *   - each of its delete ranges lies within the union of the live entries' delete ranges: a
 *     deletion is content too (a phone number removed, a note cut). Were it not checked, copying an
 *     older entry and deleting the one that removed something would bring that something back on
 *     every device.
 *
 * An erasure (Envelope.erase) is written as an update with no struct and a delete set over every
 * clock of every entry it erases: it covers exactly what it erases, by the same rule, and a copy
 * of it replayed later covers nothing written after it.
 *
 * The format of that update (Yjs V1, as y-protocols and the relay's yjs-structs.ts read it):
 *
 *   update    = varUint(0)                                     no struct
 *               varUint(#clients) { varUint(client) varUint(#ranges) { varUint(clock) varUint(len) }* }*
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

export interface ClockRange {
  readonly clock: number
  readonly len: number
}

/** What one update holds, per writer: its structs' clock ranges and its deletions', each sorted and merged. */
export interface UpdateCover {
  readonly structs: ReadonlyMap<number, readonly ClockRange[]>
  readonly deletes: ReadonlyMap<number, readonly ClockRange[]>
}

/** Throws what Yjs throws on bytes that are not a V1 update. */
export function coverOf(update: Uint8Array): UpdateCover {
  const { structs, ds } = Y.decodeUpdate(update)
  const byClient = new Map<number, ClockRange[]>()
  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue
    const list = byClient.get(struct.id.client) ?? []
    list.push({ clock: struct.id.clock, len: struct.length })
    byClient.set(struct.id.client, list)
  }
  const deletes = new Map<number, ClockRange[]>()
  for (const [client, items] of ds.clients) deletes.set(client, items.map(({ clock, len }) => ({ clock, len })))
  return { structs: mergeEach(byClient), deletes: mergeEach(deletes) }
}

/** The union of what several live entries hold. */
export class CoverUnion {
  private readonly held = new Map<number, ClockRange[]>()
  private readonly deleted = new Map<number, ClockRange[]>()

  constructor(covers: Iterable<UpdateCover>) {
    for (const cover of covers) {
      for (const [client, ranges] of cover.structs) append(this.held, client, ranges)
      for (const [client, ranges] of cover.deletes) {
        append(this.held, client, ranges)
        append(this.deleted, client, ranges)
      }
    }
    for (const map of [this.held, this.deleted]) for (const [client, ranges] of map) map.set(client, mergeRanges(ranges))
  }

  /** Whether this union holds everything `cover` holds, structs and deletions (see the rule above). */
  holds(cover: UpdateCover): boolean {
    return within(cover.structs, this.held) && within(cover.deletes, this.deleted)
  }
}

/**
 * The update of an erasure of entries whose covers are given: no struct, a delete set over every
 * clock they hold or delete. Applied to a doc, it deletes all of that (a doc that never had it keeps
 * the deletions pending, and carries them in its next snapshot); judged, it covers exactly them.
 */
export function erasureUpdate(covers: Iterable<UpdateCover>): Uint8Array {
  const all = new Map<number, ClockRange[]>()
  for (const cover of covers) {
    for (const [client, ranges] of cover.structs) append(all, client, ranges)
    for (const [client, ranges] of cover.deletes) append(all, client, ranges)
  }
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarUint(encoder, all.size)
  for (const [client, ranges] of all) {
    const merged = mergeRanges(ranges)
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, merged.length)
    for (const { clock, len } of merged) {
      encoding.writeVarUint(encoder, clock)
      encoding.writeVarUint(encoder, len)
    }
  }
  return encoding.toUint8Array(encoder)
}

function append(map: Map<number, ClockRange[]>, client: number, ranges: readonly ClockRange[]): void {
  const list = map.get(client)
  if (list) list.push(...ranges)
  else map.set(client, [...ranges])
}

function mergeEach(map: Map<number, ClockRange[]>): Map<number, ClockRange[]> {
  for (const [client, ranges] of map) map.set(client, mergeRanges(ranges))
  return map
}

/** Sorted by clock, overlapping and adjacent ranges joined, empty ones dropped. */
function mergeRanges(ranges: readonly ClockRange[]): ClockRange[] {
  const sorted = ranges.filter((r) => r.len > 0).sort((a, b) => a.clock - b.clock)
  const merged: Array<{ clock: number; len: number }> = []
  for (const { clock, len } of sorted) {
    const last = merged[merged.length - 1]
    if (last && clock <= last.clock + last.len) last.len = Math.max(last.len, clock + len - last.clock)
    else merged.push({ clock, len })
  }
  return merged
}

/** Whether every range of `inner` lies inside one range of `outer` (both merged: a range spans no gap). */
function within(inner: ReadonlyMap<number, readonly ClockRange[]>, outer: ReadonlyMap<number, readonly ClockRange[]>): boolean {
  for (const [client, ranges] of inner) {
    const held = outer.get(client) ?? []
    for (const { clock, len } of ranges) {
      if (!held.some((h) => h.clock <= clock && clock + len <= h.clock + h.len)) return false
    }
  }
  return true
}
