/**
 * Continuity per writer, per doc (docs/sync-protocol.md, « Continuity per writer »).
 *
 * Every entry of format v2 says who wrote it and, for a change, its number among that writer's
 * changes of the doc (entry-header.ts); it also says what its writer knew other writers had
 * written. A device that reads a doc's entries thus learns, per writer, a lower bound of how many
 * changes that writer made (`known`), and sees which of them the doc's live entries hold: a change
 * entry holds its own number, a snapshot the ranges it folded (`held`). What is known and not
 * held is a gap: changes that existed and that neither the relay's copy nor this device has —
 * withheld, or deleted, or lost to a rollback. A gap that some device can fill closes when that
 * device comes online (Yjs sync sends the entries it holds, the deletion judgment writes back what
 * was deleted); one that none can fill stays, and is shown.
 *
 * Knowledge only grows: an entry deleted later (a compaction) still taught what it taught, and a
 * snapshot carries on what the changes it folded knew (`seen`). Entries of format v1 teach nothing
 * and hold nothing of this.
 */
import type { EntryHeader, SeqRanges } from './entry-header'

/** One writer's changes of a doc that are known to exist and that no live entry holds. */
export interface WriterGap {
  readonly writer: string
  readonly missing: number
}

/** A set of sequence numbers as sorted, disjoint, non-adjacent inclusive ranges. */
export class SeqSet {
  private ranges: Array<[number, number]> = []

  add(from: number, to = from): void {
    if (to < from) return
    const last = this.ranges[this.ranges.length - 1]
    // The common case, numbers in order: extend or append.
    if (!last || from > last[1] + 1) {
      this.ranges.push([from, to])
      return
    }
    if (from >= last[0]) {
      last[1] = Math.max(last[1], to)
      return
    }
    const merged: Array<[number, number]> = []
    for (const [a, b] of [...this.ranges, [from, to] as [number, number]].sort((x, y) => x[0] - y[0])) {
      const top = merged[merged.length - 1]
      if (top && a <= top[1] + 1) top[1] = Math.max(top[1], b)
      else merged.push([a, b])
    }
    this.ranges = merged
  }

  addAll(ranges: SeqRanges): void {
    for (const [from, to] of ranges) this.add(from, to)
  }

  /** How many of 1…n the set holds. */
  countUpTo(n: number): number {
    let total = 0
    for (const [a, b] of this.ranges) {
      if (a > n) break
      total += Math.min(b, n) - a + 1
    }
    return total
  }

  highest(): number {
    return this.ranges.length === 0 ? 0 : this.ranges[this.ranges.length - 1]![1]
  }

  toRanges(): SeqRanges {
    return this.ranges.map(([a, b]) => [a, b] as const)
  }
}

function raise(map: Map<string, number>, writer: string, n: number): boolean {
  if (n <= (map.get(writer) ?? 0)) return false
  map.set(writer, n)
  return true
}

/** The highest number a header says its writer, and the writers it names, had written. */
export function claimsOf(header: EntryHeader): Map<string, number> {
  const claims = new Map<string, number>()
  if (header.kind === 'change') raise(claims, header.writer, header.seq)
  else for (const [writer, ranges] of header.covers) raise(claims, writer, ranges.length === 0 ? 0 : ranges[ranges.length - 1]![1])
  for (const [writer, n] of header.seen) raise(claims, writer, n)
  return claims
}

/** Per writer, the changes that live entries with these headers hold. */
export function heldBy(headers: Iterable<EntryHeader>): Map<string, SeqSet> {
  const held = new Map<string, SeqSet>()
  const of = (writer: string) => {
    let set = held.get(writer)
    if (!set) held.set(writer, (set = new SeqSet()))
    return set
  }
  for (const header of headers) {
    if (header.kind === 'change') of(header.writer).add(header.seq)
    else for (const [writer, ranges] of header.covers) of(writer).addAll(ranges)
  }
  return held
}

/** Per writer, what is known and not held, largest gap first; writers with no gap left out. */
export function gapsOf(known: ReadonlyMap<string, number>, held: ReadonlyMap<string, SeqSet>): WriterGap[] {
  const gaps: WriterGap[] = []
  for (const [writer, n] of known) {
    const missing = n - (held.get(writer)?.countUpTo(n) ?? 0)
    if (missing > 0) gaps.push({ writer, missing })
  }
  return gaps.sort((x, y) => y.missing - x.missing || (x.writer < y.writer ? -1 : 1))
}

/**
 * What one device knows of one doc's writers, and what its next entries of the doc say. `self` is
 * this device's writer id.
 */
export class DocContinuity {
  private readonly known = new Map<string, number>()
  /** What this writer's own entries of the doc already said it knew (its next change says only what is new). */
  private readonly claimed = new Map<string, number>()

  constructor(private readonly self: string) {}

  /** Reads what an entry of the doc teaches (one this device wrote, or decrypted). */
  learn(header: EntryHeader): void {
    const claims = claimsOf(header)
    for (const [writer, n] of claims) raise(this.known, writer, n)
    if (header.writer === this.self) for (const [writer, n] of claims) if (writer !== this.self) raise(this.claimed, writer, n)
  }

  knownOf(writer: string): number {
    return this.known.get(writer) ?? 0
  }

  /** The header of this device's next change of the doc (then `learn` it once written). */
  nextChange(): EntryHeader {
    return { kind: 'change', writer: this.self, seq: this.knownOf(this.self) + 1, seen: this.news() }
  }

  /**
   * The header of a snapshot that folds entries with these headers (v1 entries have none: they are
   * content, not continuity). It also carries what this device knows beyond them, so that the
   * knowledge the folded entries carried survives them.
   */
  snapshot(folded: Iterable<EntryHeader>): EntryHeader {
    const held = heldBy(folded)
    const covers = new Map<string, SeqRanges>()
    for (const [writer, set] of held) covers.set(writer, set.toRanges())
    const seen = new Map<string, number>()
    for (const [writer, n] of this.known) if (n > (held.get(writer)?.highest() ?? 0)) seen.set(writer, n)
    return { kind: 'snapshot', writer: this.self, covers, seen }
  }

  /** The doc's gaps, given the headers of its live entries. */
  gaps(live: Iterable<EntryHeader>): WriterGap[] {
    return gapsOf(this.known, heldBy(live))
  }

  /** What this device knows of other writers and has not said in an entry of the doc yet. */
  private news(): Map<string, number> {
    const news = new Map<string, number>()
    for (const [writer, n] of this.known) if (writer !== this.self && n > (this.claimed.get(writer) ?? 0)) news.set(writer, n)
    return news
  }
}

/** The snapshot header of an erasure: it folds every entry it erases (their headers). */
export function erasureHeader(self: string, erased: Iterable<EntryHeader>): EntryHeader {
  const list = [...erased]
  const continuity = new DocContinuity(self)
  for (const header of list) continuity.learn(header)
  return continuity.snapshot(list)
}
