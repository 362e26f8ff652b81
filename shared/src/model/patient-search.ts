/**
 * Finding a patient in a keystroke: an index over the directory's patients, built once, then kept
 * up to date from the `patients` map's Y events (only the records an event touched are read again).
 *
 * What a query matches (every token must match, in any order):
 * - a word ('lefev', 'zoe', "d'arc", 'jean-pierre'): a prefix of a word of the birth name, usual
 *   name or first names, or of a tag. Case, accents, ligatures (œ, æ), hyphens and apostrophes are
 *   ignored: `foldText('Lefèvre-Œuvray')` is 'lefevre oeuvray'.
 * - a date: '12/03/1958' (also with '.' or '-'), '1958-03-12', '12/03' (day and month), '1958'
 *   (a birth year — a 4-digit token also matches phone and NIR digits), or one being typed
 *   ('12/0', '12/03/19': search-dates.ts).
 * - digits: a phone number in any formatting ('06 12 34', '+33 6 12…', '0033 6…' all mean the
 *   same national number), or a NIR fragment (spaces ignored). A query made only of digits and
 *   separators is read as one number, so '06 12 34 56' is not four tokens.
 *
 * Ranking, per token, then summed: exact word of the birth or usual name 0, prefix of it 1, exact
 * first name 2, prefix of a first name 3, anything else (tag, date, phone, NIR) 4. Ties in French
 * alphabetical order of usual (else birth) name, then first names, on folded text.
 */
import type * as Y from 'yjs'
import { DIRECTORY_MAPS } from './collections'
import { readRecord } from './records'
import { DuplicatePairs, type DuplicatePair } from './duplicate-pairs'
import { birthDateMatches, dateToken } from './search-dates'
import type { DateToken } from './search-dates'
import type { ListResult, RecordIssue } from './records'
import { patientRecord } from './record-schemas'
import type { Patient } from './record-schemas'

const NAME = DIRECTORY_MAPS.patients

/** Birth dates whose duplicate pairs `build` finds per slice: a bucket is a handful of patients, 2,000 are ≈ 10 ms. */
const DATES_PER_SLICE = 2_000

/** Entries `build` sorts among themselves before merging them into the order (a few ms each time). */
const MERGE_EVERY = 2_000

/** Lower case, no accents, œ → oe, æ → ae, and anything but letters and digits as single spaces. */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/ß/g, 'ss')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
}

function words(text: string | undefined): string[] {
  if (!text) return []
  return wordsOfFolded(foldText(text))
}

function wordsOfFolded(folded: string): string[] {
  return folded === '' ? [] : folded.split(' ')
}

/**
 * A patient's names folded as the duplicate rule compares them (patient-duplicates.ts): the index
 * folds them once per change of the record, so that finding the duplicate pairs of 20,000 patients
 * does not fold them all again.
 */
export type FoldedNames = { readonly first: string; readonly birth: string; readonly usual: string | null }

/** National digits of a phone: '+33612345678' → '0612345678'; foreign numbers keep their digits. */
export function phoneDigits(text: string): string {
  let digits = text.replace(/[^0-9+]/g, '')
  if (digits.startsWith('00')) digits = `+${digits.slice(2)}`
  if (digits.startsWith('+330')) digits = `+33${digits.slice(4)}`
  if (digits.startsWith('+33')) return `0${digits.slice(3)}`
  return digits.replace(/\+/g, '')
}

export type SearchToken =
  | { readonly kind: 'word'; readonly text: string }
  | DateToken
  | { readonly kind: 'digits'; readonly digits: string; readonly year?: number }

const NUMBER_ONLY = /^\+?[0-9][0-9\s.()-]*$/

function digitsToken(piece: string): SearchToken {
  const digits = phoneDigits(piece)
  const year = /^(19|20)[0-9]{2}$/.test(digits) ? Number(digits) : undefined
  return year === undefined ? { kind: 'digits', digits } : { kind: 'digits', digits, year }
}

/**
 * Whether the query is a birth date still being typed ('12/0', '12/03/19'; '1' and '12' too, the
 * first keys of one, though they are searched as numbers): a list that finds nobody yet should
 * not say so, the date can still become one that finds someone.
 */
export function isIncompleteDate(query: string): boolean {
  const trimmed = query.trim()
  if (/^\d{1,2}$/.test(trimmed) && Number(trimmed) <= 31) return true
  return parseQuery(query).some((token) => token.kind === 'date' && token.incomplete === true)
}

/** What the user typed, as tokens; an empty list means "everybody". */
export function parseQuery(query: string): SearchToken[] {
  const trimmed = query.trim()
  if (trimmed === '') return []
  const whole = dateToken(trimmed)
  if (whole) return [whole]
  if (NUMBER_ONLY.test(trimmed)) return [digitsToken(trimmed)]
  const tokens: SearchToken[] = []
  for (const piece of trimmed.split(/\s+/)) {
    const date = dateToken(piece)
    if (date) tokens.push(date)
    else if (NUMBER_ONLY.test(piece)) tokens.push(digitsToken(piece))
    else for (const text of words(piece)) tokens.push({ kind: 'word', text })
  }
  return tokens
}

/** One patient as the index holds it: folded words and digits, computed once per change. */
export type SearchEntry = {
  readonly patient: Patient
  readonly family: readonly string[]
  readonly first: readonly string[]
  readonly other: readonly string[]
  readonly birth: { readonly year: number; readonly month: number; readonly day: number } | null
  readonly phones: readonly string[]
  readonly nir: string
  readonly sortKey: string
  /** ' family words \u0001 first words \u0001 tags': one native `includes` rejects a non-match. */
  readonly hay: string
  readonly names: FoldedNames
}

export function searchEntry(patient: Patient): SearchEntry {
  const [year = 0, month = 0, day = 0] = (patient.birthDate ?? '').split('-').map(Number)
  // Each name folded once: the words, the sort key and the duplicate rule's names come from it.
  const birthName = foldText(patient.birthName)
  const usualName = patient.usualName === undefined ? undefined : foldText(patient.usualName)
  const firstNames = foldText(patient.firstNames)
  const family = [...wordsOfFolded(birthName), ...(usualName === undefined ? [] : wordsOfFolded(usualName))]
  const first = wordsOfFolded(firstNames)
  const other = (patient.tags ?? []).flatMap(words)
  return {
    patient,
    family,
    first,
    other,
    names: { first: firstNames, birth: birthName, usual: patient.usualName ? (usualName as string) : null },
    hay: ['', ...family, '\u0001', ...first, '\u0001', ...other].join(' '),
    birth: patient.birthDate ? { year, month, day } : null,
    phones: (patient.phones ?? []).map(phoneDigits),
    nir: (patient.nir ?? '').replace(/\s/g, '').toLowerCase(),
    // \u0001 sorts before every letter and space: 'Martin' before 'Martin-Dupont'.
    sortKey: [usualName ?? birthName, firstNames, birthName, patient.birthDate ?? '', patient.id].join(
      '\u0001',
    ),
  }
}

const SCORE = { exactFamily: 0, family: 1, exactFirst: 2, first: 3, other: 4 } as const

function wordScore(entry: SearchEntry, text: string, needle: string): number | null {
  // Most patients do not match: one native search says so before any loop.
  if (!entry.hay.includes(needle)) return null
  let best: number | null = null
  for (const w of entry.family) {
    if (w === text) return SCORE.exactFamily
    if (w.startsWith(text)) best = SCORE.family
  }
  if (best !== null) return best
  for (const w of entry.first) {
    if (w === text) return SCORE.exactFirst
    if (w.startsWith(text)) best = SCORE.first
  }
  if (best !== null) return best
  return entry.other.some((w) => w.startsWith(text)) ? SCORE.other : null
}

function digitsMatch(entry: SearchEntry, token: Extract<SearchToken, { kind: 'digits' }>): boolean {
  const { digits } = token
  if (token.year !== undefined && entry.birth?.year === token.year) return true
  // A short fragment anywhere in a number matches too much: under 3 digits, only as a prefix.
  const found = (s: string) => (digits.length >= 3 ? s.includes(digits) : s.startsWith(digits))
  return entry.phones.some(found) || (entry.nir !== '' && found(entry.nir))
}

function dateMatch(entry: SearchEntry, token: DateToken): boolean {
  return entry.birth !== null && birthDateMatches(entry.birth, token)
}

/** A word token with its needle (' ' + text) built once per search, not once per patient. */
type PreparedToken = SearchToken & { readonly needle?: string }

function prepare(tokens: readonly SearchToken[]): PreparedToken[] {
  return tokens.map((t) => (t.kind === 'word' ? { ...t, needle: ` ${t.text}` } : t))
}

/** The entry's score for these tokens (lower ranks first), or null when a token does not match. */
export function scoreEntry(entry: SearchEntry, tokens: readonly PreparedToken[]): number | null {
  let score = 0
  for (const token of tokens) {
    if (token.kind === 'word') {
      const s = wordScore(entry, token.text, token.needle ?? ` ${token.text}`)
      if (s === null) return null
      score += s
    } else if (token.kind === 'digits') {
      if (!digitsMatch(entry, token)) return null
      score += SCORE.other
    } else {
      if (!dateMatch(entry, token)) return null
      score += SCORE.other
    }
  }
  return score
}

export type PatientSearchOptions = { includeArchived?: boolean; includeDeleted?: boolean }

function bySortKey(a: SearchEntry, b: SearchEntry): number {
  return a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0
}

/** Two lists in sort-key order as one (keys are unique: they end with the patient's id). */
function mergeBySortKey(a: readonly SearchEntry[], b: readonly SearchEntry[]): SearchEntry[] {
  if (b.length === 0) return a.slice()
  const out: SearchEntry[] = new Array<SearchEntry>(a.length + b.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) out[k++] = (a[i] as SearchEntry).sortKey <= (b[j] as SearchEntry).sortKey ? (a[i++] as SearchEntry) : (b[j++] as SearchEntry)
  while (i < a.length) out[k++] = a[i++] as SearchEntry
  while (j < b.length) out[k++] = b[j++] as SearchEntry
  return out
}

/**
 * The index. `attach` follows the directory's changes until `detach`; without it the index is a
 * snapshot (one-off searches). Reading is lazy: events only mark ids, the next search re-reads them.
 * Built from a list of patients (a directory digest, already validated) instead of a doc, it is a
 * fixed snapshot: `attach` does nothing, and the list's records are searched as they are.
 */
export class PatientSearchIndex {
  private readonly doc: Y.Doc | null
  private readonly entries = new Map<string, SearchEntry>()
  private readonly issues = new Map<string, RecordIssue>()
  private readonly dirty = new Set<string>()
  private ordered: SearchEntry[] = []
  private byIdCache: Map<string, Patient> | null = null
  /**
   * The duplicate pairs, kept from the changes read (duplicate-pairs.ts) once asked for: an index
   * nobody asks (a digest's, a one-off search) does not hold them.
   */
  private duplicates: DuplicatePairs | null = null
  /** What `derived` computed, by the function that computed it; forgotten whenever the index changes. */
  private readonly derivedCache = new Map<(index: PatientSearchIndex) => unknown, unknown>()
  private orderStale = true
  private attached = false
  /**
   * The last word-only search and the entries it matched, in alphabetical order. Typing one more
   * letter (or word) can only narrow a word-only search, so the next one scans these instead of
   * every patient. Forgotten whenever the index changes.
   */
  private last: { folded: string; options: string; matched: SearchEntry[] } | null = null
  private readonly observer = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
    for (const event of events) {
      if (event.path.length === 0) for (const key of event.changes.keys.keys()) this.dirty.add(key)
      else if (typeof event.path[0] === 'string') this.dirty.add(event.path[0])
    }
  }

  constructor(source: Y.Doc | readonly Patient[], options: { readNow?: boolean } = {}) {
    if (Array.isArray(source)) {
      this.doc = null
      for (const patient of source as readonly Patient[]) this.entries.set(patient.id, searchEntry(patient))
    } else {
      const doc = source as Y.Doc
      this.doc = doc
      if (options.readNow ?? true) doc.getMap<unknown>(NAME).forEach((_, id) => this.reread(id))
    }
  }

  /** The index of a list of patients (a digest's), built `perSlice` patients at a time (see `build`). */
  static async fromPatients(patients: readonly Patient[], nextSlice: () => Promise<void>, perSlice = 500): Promise<PatientSearchIndex> {
    const index = new PatientSearchIndex([])
    for (let i = 0; i < patients.length; i += perSlice) {
      if (i > 0) await nextSlice()
      for (const patient of patients.slice(i, i + perSlice)) index.entries.set(patient.id, searchEntry(patient))
    }
    return index
  }

  /**
   * The index of a doc, attached, built `perSlice` patients at a time with `nextSlice()` awaited
   * in between: reading 20,000 records (validation, folded words) is most of a second on a tablet,
   * which must not be one task. 100 records are ≈ 10 ms on a 2-core machine, up to four times that
   * while it is busy (1,000 were a task of 190 ms during a join, 250 one of 110 ms in the eighth
   * pass's profile). A record changed meanwhile is read again at the next search, as after any change.
   */
  static async build(doc: Y.Doc, nextSlice: () => Promise<void>, perSlice = 100): Promise<PatientSearchIndex> {
    const index = new PatientSearchIndex(doc, { readNow: false }).attach()
    // The order and the duplicate pairs are made in the slices too: left to the first read, sorting
    // 20,000 entries and grouping them by birth date were one task of ≈ 0.3–0.5 s when the patient
    // list first read the directory after a join (issue 17, docs/performance.md « (10) », eighth
    // pass). Each slice's entries are sorted and merged into the order; the pairs are kept from
    // the first record read, as they are for a change, and found a few thousand dates per slice.
    index.duplicates = new DuplicatePairs()
    index.orderStale = false
    const ids = [...doc.getMap<unknown>(NAME).keys()]
    // Merged into the order a few thousand at a time: a merge copies the whole order.
    let added: SearchEntry[] = []
    for (let i = 0; i < ids.length; i += perSlice) {
      if (i > 0) await nextSlice()
      for (const id of ids.slice(i, i + perSlice)) {
        if (index.dirty.has(id)) continue // read at the next refresh, as any change
        const { after } = index.reread(id)
        if (after) added.push(after)
      }
      if (added.length >= MERGE_EVERY || i + perSlice >= ids.length) {
        index.ordered = mergeBySortKey(index.ordered, added.sort(bySortKey))
        added = []
      }
    }
    while (!index.duplicates.findSome(DATES_PER_SLICE)) await nextSlice()
    return index
  }

  /**
   * Nothing left for the next read to do over every patient: the order made, the duplicate pairs
   * found, no change waiting (what `build` leaves; a changed record makes it false until read).
   */
  get settled(): boolean {
    return !this.orderStale && this.dirty.size === 0 && this.duplicates !== null && this.duplicates.pending === 0
  }

  /** Follows the directory's changes (local and remote) from now on. Calling it twice is harmless. */
  attach(): this {
    if (!this.attached && this.doc) this.doc.getMap<unknown>(NAME).observeDeep(this.observer)
    this.attached = this.doc !== null
    return this
  }

  detach(): void {
    if (this.attached && this.doc) this.doc.getMap<unknown>(NAME).unobserveDeep(this.observer)
    this.attached = false
  }

  get size(): number {
    return this.entries.size
  }

  /** Reads one record again; returns the entry it replaced and its new entry (either may be absent). */
  private read(id: string): { before: SearchEntry | undefined; after: SearchEntry | undefined } {
    const before = this.entries.get(id)
    this.entries.delete(id)
    this.issues.delete(id)
    // Only a doc's events mark ids dirty, so a list-built index never reads again.
    const value = this.doc?.getMap<unknown>(NAME).get(id)
    if (value === undefined) return { before, after: undefined }
    const read = readRecord(NAME, id, value, patientRecord)
    if (!read.ok) {
      this.issues.set(id, read.issue)
      return { before, after: undefined }
    }
    const after = searchEntry(read.record)
    this.entries.set(id, after)
    return { before, after }
  }

  /** What `read` did, told to the duplicate pairs (each change reaches them through here). */
  private reread(id: string): { before: SearchEntry | undefined; after: SearchEntry | undefined } {
    const change = this.read(id)
    this.duplicates?.replace(change.before, change.after)
    return change
  }

  /** Position of the first entry whose sort key is not below `key` (binary search). */
  private position(key: string): number {
    let low = 0
    let high = this.ordered.length
    while (low < high) {
      const mid = (low + high) >> 1
      if ((this.ordered[mid] as SearchEntry).sortKey < key) low = mid + 1
      else high = mid
    }
    return low
  }

  private refresh(): void {
    if (this.dirty.size > 0) {
      this.last = null
      this.byIdCache = null
      this.derivedCache.clear()
    }
    // A few changes (a remote edit) move their entries in place; many (a slice of a sync) are
    // sorted among themselves and merged into the order kept, which costs the list once where
    // sorting all of it again cost ≈ 70 ms at 20,000 on a busy page (issue 17's bench, sixth pass).
    // Only an order never made (a new index) is sorted whole.
    const inPlace = !this.orderStale && this.dirty.size <= 200
    const merged = !this.orderStale && !inPlace
    const removed = new Set<SearchEntry>()
    const added: SearchEntry[] = []
    for (const id of this.dirty) {
      const { before, after } = this.reread(id)
      if (merged) {
        if (before) removed.add(before)
        if (after) added.push(after)
        continue
      }
      if (!inPlace) continue
      if (before) {
        const at = this.position(before.sortKey)
        if (this.ordered[at] === before) this.ordered.splice(at, 1)
      }
      if (after) this.ordered.splice(this.position(after.sortKey), 0, after)
    }
    this.dirty.clear()
    if (merged) this.ordered = mergeBySortKey(removed.size > 0 ? this.ordered.filter((e) => !removed.has(e)) : this.ordered, added.sort(bySortKey))
    if (this.orderStale) {
      this.ordered = [...this.entries.values()].sort(bySortKey)
      this.orderStale = false
    }
  }

  /**
   * A list-built copy of this index with `patients` added, or replacing those of the same id; this
   * index is unchanged. Costs a copy of the entries, not a new entry per patient: a few changed
   * patients over 20,000 take milliseconds where building the index again takes a quarter second.
   */
  withPatients(patients: readonly Patient[]): PatientSearchIndex {
    this.refresh()
    const copy = new PatientSearchIndex([])
    for (const [id, entry] of this.entries) copy.entries.set(id, entry)
    copy.ordered = this.ordered.slice()
    copy.orderStale = false
    for (const patient of patients) {
      const before = copy.entries.get(patient.id)
      if (before) {
        const at = copy.position(before.sortKey)
        if (copy.ordered[at] === before) copy.ordered.splice(at, 1)
      }
      const after = searchEntry(patient)
      copy.entries.set(patient.id, after)
      copy.ordered.splice(copy.position(after.sortKey), 0, after)
    }
    return copy
  }

  /**
   * Every patient as last read (deleted and archived too), by id: the same Map until the index
   * changes, so a view reading it again costs nothing.
   */
  byId(): ReadonlyMap<string, Patient> {
    this.refresh()
    if (this.byIdCache === null) this.byIdCache = new Map([...this.entries].map(([id, entry]) => [id, entry.patient]))
    return this.byIdCache
  }

  /**
   * What `compute` makes of the index, computed again only once the index has changed: a screen
   * that mounts again over the same directory (coming back to the patient list) reads what it read
   * last time. The duplicate pairs of 20,000 patients were ≈ 70 ms of a 110 ms task at each return
   * to the list (issue 17's bench, « (10) »). `compute` is the key: pass one stable function (a
   * module-level constant), and one that reads nothing but the index.
   */
  derived<T>(compute: (index: PatientSearchIndex) => T): T {
    this.refresh()
    if (this.derivedCache.has(compute)) return this.derivedCache.get(compute) as T
    const value = compute(this)
    // Computing may not change the index (it reads through refreshed methods), but a record marked
    // dirty meanwhile by a transaction in `compute` would make the value stale: kept only if not.
    if (this.dirty.size === 0) this.derivedCache.set(compute, value)
    return value
  }

  /**
   * Every duplicate pair among the live patients (archived included; patient-duplicates.ts for the
   * rule), oldest kept: the same array until a pair changes. Found over every patient at the first
   * call, then only in the birth dates a change touched (duplicate-pairs.ts).
   */
  duplicatePairs(): readonly DuplicatePair[] {
    this.refresh()
    this.duplicates ??= DuplicatePairs.of(this.entries.values())
    return this.duplicates.pairs()
  }

  /** `patient`'s names folded (`FoldedNames`), if it is the record this index holds for its id. */
  foldedNames(patient: Patient): FoldedNames | undefined {
    const entry = this.entries.get(patient.id)
    return entry?.patient === patient ? entry.names : undefined
  }

  /** The patient as last read (deleted or archived too), for callers holding only an id. */
  get(id: string): Patient | undefined {
    this.refresh()
    return this.entries.get(id)?.patient
  }

  search(query: string, options: PatientSearchOptions = {}): ListResult<Patient> {
    this.refresh()
    const tokens = prepare(parseQuery(query))
    const visible = (p: Patient) =>
      (options.includeDeleted || p.deletedAt === undefined) && (options.includeArchived || !p.archived)
    const items: Patient[] = []
    if (tokens.length === 0) {
      for (const entry of this.ordered) if (visible(entry.patient)) items.push(entry.patient)
      this.last = null
    } else {
      const wordsOnly = tokens.every((t) => t.kind === 'word')
      const folded = foldText(query)
      const optionKey = `${options.includeArchived === true}/${options.includeDeleted === true}`
      const last = this.last
      const narrowing = wordsOnly && last !== null && last.options === optionKey && folded.startsWith(last.folded)
      const candidates = narrowing ? last.matched : this.ordered
      // Scores are small integers: one bucket per score, filled in the candidates' alphabetical
      // order, is the ranking without a comparison sort (thousands of matches on a first letter).
      const buckets: SearchEntry[][] = []
      const matched: SearchEntry[] = []
      for (const entry of candidates) {
        // Score first: a non-match is rejected on the entry's own string, without reaching into
        // the patient object (the entries are in alphabetical, not memory, order).
        const score = scoreEntry(entry, tokens)
        if (score === null || !visible(entry.patient)) continue
        matched.push(entry)
        ;(buckets[score] ??= []).push(entry)
      }
      this.last = wordsOnly ? { folded, options: optionKey, matched } : null
      for (const bucket of buckets) if (bucket) for (const entry of bucket) items.push(entry.patient)
    }
    return { items, issues: [...this.issues.values()] }
  }
}

/** A one-off search (builds an index, uses it once). Views keep a `PatientSearchIndex` instead. */
export function searchPatients(doc: Y.Doc, query: string, options: PatientSearchOptions = {}): ListResult<Patient> {
  return new PatientSearchIndex(doc).search(query, options)
}
