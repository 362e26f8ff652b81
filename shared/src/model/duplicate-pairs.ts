/**
 * The duplicate pairs of a directory, kept as the directory changes instead of found again over
 * every patient at each change (the rule itself: patient-duplicates.ts).
 *
 * Only patients of one birth date can be duplicates, so the patients are held in buckets by birth
 * date (the rule's blocking key), and the pairs by bucket. A changed record touches the bucket of
 * its old birth date and that of its new one: those buckets' pairs are found again, at the next
 * read, and no other. During a join, the patient list open, each slice of a sync changed a few
 * hundred records and finding the pairs of all 20,000 again was most of a 104–109 ms task
 * (docs/performance.md « (10) », sixth pass); a bucket is a handful of patients.
 *
 * The pairs read are one array, the same until a pair changes (a screen holding it does not render
 * again for a change that made or undid no pair): by birth date, then by the kept record's place in
 * the bucket's order (the search index's sort key, so the same on every device).
 */
import type { FoldedNames } from './patient-search'
import type { Patient } from './record-schemas'

export type DuplicatePair = { readonly keep: Patient; readonly drop: Patient }

/** What the pairs hold of a patient: the record, its folded names, its place in the order. */
export type DuplicateCandidate = { readonly patient: Patient; readonly names: FoldedNames; readonly sortKey: string }

/** The rule on folded names (patient-duplicates.ts, module comment). */
export function sameNames(na: FoldedNames, nb: FoldedNames): boolean {
  if (na.first !== nb.first) return false
  return (
    na.birth === nb.birth ||
    (na.usual !== null && (na.usual === nb.usual || na.usual === nb.birth)) ||
    (nb.usual !== null && nb.usual === na.birth)
  )
}

/** Which of two duplicates is kept: the older, then the smaller id (same answer on every device). */
export function mergeOrder(a: Patient, b: Patient): DuplicatePair {
  const aFirst = a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id)
  return aFirst ? { keep: a, drop: b } : { keep: b, drop: a }
}

/** The bucket a candidate belongs to: its birth date, or none (deleted, or no birth date). */
function bucketOf(candidate: DuplicateCandidate | undefined): string | null {
  if (!candidate || candidate.patient.deletedAt !== undefined || !candidate.patient.birthDate) return null
  return candidate.patient.birthDate
}

function bySortKey(a: DuplicateCandidate, b: DuplicateCandidate): number {
  return a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0
}

/** Every pair of one bucket, in the bucket's order. */
function pairsOfBucket(bucket: readonly DuplicateCandidate[]): DuplicatePair[] {
  if (bucket.length < 2) return []
  const ordered = bucket.slice().sort(bySortKey)
  const pairs: DuplicatePair[] = []
  for (let i = 0; i < ordered.length; i++) {
    for (let j = i + 1; j < ordered.length; j++) {
      const a = ordered[i] as DuplicateCandidate
      const b = ordered[j] as DuplicateCandidate
      if (a.patient.id !== b.patient.id && sameNames(a.names, b.names)) pairs.push(mergeOrder(a.patient, b.patient))
    }
  }
  return pairs
}

function samePairs(a: readonly DuplicatePair[], b: readonly DuplicatePair[]): boolean {
  return a.length === b.length && a.every((pair, i) => pair.keep === b[i]?.keep && pair.drop === b[i]?.drop)
}

const NONE: readonly DuplicatePair[] = Object.freeze([])

export class DuplicatePairs {
  private readonly buckets = new Map<string, DuplicateCandidate[]>()
  /** Pairs by birth date, only the dates that have some. */
  private readonly pairsByDate = new Map<string, readonly DuplicatePair[]>()
  /** Dates whose bucket changed since their pairs were last found. */
  private readonly stale = new Set<string>()
  private all: readonly DuplicatePair[] = NONE
  private allStale = false

  /** Holds `candidates` (a directory's patients, each id once). */
  static of(candidates: Iterable<DuplicateCandidate>): DuplicatePairs {
    const pairs = new DuplicatePairs()
    for (const candidate of candidates) pairs.replace(undefined, candidate)
    return pairs
  }

  /**
   * One record changed: `before` is what was held for its id (none: a new record), `after` what
   * now is (none: gone from the directory). Costs its two buckets, not the directory.
   */
  replace(before: DuplicateCandidate | undefined, after: DuplicateCandidate | undefined): void {
    const from = bucketOf(before)
    if (from !== null && before) {
      const bucket = this.buckets.get(from)
      const at = bucket ? bucket.indexOf(before) : -1
      if (bucket && at >= 0) {
        bucket.splice(at, 1)
        if (bucket.length === 0) this.buckets.delete(from)
        this.stale.add(from)
      }
    }
    const to = bucketOf(after)
    if (to !== null && after) {
      const bucket = this.buckets.get(to)
      if (bucket) bucket.push(after)
      else this.buckets.set(to, [after])
      this.stale.add(to)
    }
  }

  /** Birth dates whose pairs are still to be found (`findSome` or the next `pairs()` finds them). */
  get pending(): number {
    return this.stale.size
  }

  /**
   * Finds the pairs of at most `dates` changed birth dates; true once none is left. What a caller
   * holding every patient at once (an index just built: ≈ 10,000 dates at 20,000 patients, a
   * task of 130–200 ms found in one go after a join) does a slice at a time, so that the first
   * `pairs()` has only the latest changes to read.
   */
  findSome(dates: number): boolean {
    let left = dates
    for (const date of this.stale) {
      if (left-- <= 0) return false
      this.stale.delete(date)
      const found = pairsOfBucket(this.buckets.get(date) ?? [])
      const held = this.pairsByDate.get(date) ?? NONE
      if (samePairs(found, held)) continue
      if (found.length === 0) this.pairsByDate.delete(date)
      else this.pairsByDate.set(date, found)
      this.allStale = true
    }
    return true
  }

  /** Every pair, oldest kept (see the module comment for the order); the same array until one changes. */
  pairs(): readonly DuplicatePair[] {
    this.findSome(Infinity)
    if (this.allStale) {
      const dates = [...this.pairsByDate.keys()].sort()
      this.all = Object.freeze(dates.flatMap((date) => this.pairsByDate.get(date) ?? NONE))
      this.allStale = false
    }
    return this.all
  }
}
