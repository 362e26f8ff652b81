/**
 * What a node knows of one room's rows, by seq: `through`, the seq up to which every stored row of
 * the room is in the node's doc, and the seqs above it that it has seen (its own appends, other
 * nodes' notices). A gap is a seq seen above `through + 1` with rows possibly missing between.
 *
 * On storage whose seqs are contiguous per room (PostgreSQL's per-room head row) a gap means a
 * notice was missed, or is still on its way (two nodes' notices can cross in Redis). On storage
 * whose seqs are shared between rooms (SQLite's one counter) every other room's append looks like
 * a gap: the node then reads storage once more than it needed, and nothing is wrong — a gap is
 * only ever a reason to read, never a reason to skip.
 */
export class SeqGaps {
  private readonly seen = new Set<number>()

  constructor(private through_: number) {}

  /** Every stored row of seq ≤ through is in the doc. */
  get through(): number {
    return this.through_
  }

  /** Whether a seq above through + 1 was seen, so rows may be missing. */
  get hasGap(): boolean {
    return this.seen.size > 0
  }

  /** The highest seq seen (through, when nothing above it was). */
  get highestSeen(): number {
    let highest = this.through_
    for (const seq of this.seen) if (seq > highest) highest = seq
    return highest
  }

  /** A row of this seq is in the doc. */
  note(seq: number): void {
    if (seq <= this.through_) return
    this.seen.add(seq)
    while (this.seen.delete(this.through_ + 1)) this.through_++
  }

  /** The doc now holds every stored row up to `seq` (read from storage). */
  caughtUp(seq: number): void {
    if (seq <= this.through_) return
    this.through_ = seq
    for (const held of this.seen) if (held <= seq) this.seen.delete(held)
    while (this.seen.delete(this.through_ + 1)) this.through_++
  }
}
