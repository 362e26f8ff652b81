/**
 * What the relay accepts of an envelope update, decided before anything is stored or forwarded.
 * The relay holds no key: it checks the shape of a change, which is all a credential holder without
 * the keys could otherwise abuse (issue 18: a wipe, a device's next clocks taken, junk that decodes
 * as Yjs). The rule (docs/sync-protocol.md, « What the relay accepts »):
 *
 *   structs     every one an Item (no GC, no Skip), its clocks below MAX_CLOCK, each client's
 *               contiguous and starting at or below the room's clock for it (no gap);
 *   place       in the root array `entries`: its parent the root name `entries`, or given by an
 *               origin and a right origin that are entries of the room or of this update (an
 *               earlier clock when of the same writer, no cycle); never a map key (parentSub) nor
 *               inside another type;
 *   content     one ContentAny of well-formed entries `{d, c}` (shared/src/envelope/entry-shape.ts;
 *               several when Yjs merged a writer's consecutive entries: one clock each), or
 *               ContentDeleted (entries written and deleted before the room saw them, as a step 2
 *               after an offline compaction carries them);
 *   deletions   ranges sorted and disjoint per client, of clocks the room or this update holds; a
 *               range may cover what is already deleted (a step 2 carries the writer's whole delete
 *               set), but every live entry it deletes must be of a doc (`d`) of which this update
 *               writes a new entry that it does not delete itself: a compaction's snapshot, or an
 *               erasure's entry (shared/src/envelope/envelope.ts). A bare deletion is a wipe.
 *
 * A device's ordinary write inserts one entry; its compaction or erasure inserts one and deletes
 * that doc's others, in one transaction, hence one update. The relay cannot tell a real snapshot
 * from junk with a valid shape (it cannot decrypt): devices judge the content.
 *
 * Verdicts: `accepted` with the update to forward and store, which is the received one or, when it
 * repeats structs or deletions the room already holds, only the rest (a step 2 repeats the
 * writer's whole delete set on every reconnection: it used to become a row each time);
 * `nothing-new`; `incomplete` when it refers to structs the room does not hold — yet: an update
 * forwarded from another device may still be on its way to storage, so the room checks again once
 * the writes queued before it are applied, and refuses then (`dangling_reference`). Anything else
 * throws FrameError, the connection is closed with 4400, and nothing is stored or forwarded.
 *
 * Cost: the decode (the room decodes the update again to apply it), a binary search in the room's
 * structs per reference and per deleted range, a look at each entry's `d` and `c`.
 *
 * Signatures are checked after this, by the room (entry-signatures.ts): an accepted verdict lists
 * the entries the room lacks, at their outer ids. In a space with a device registry every one must
 * be signed there by a device of the registry — which is what makes the deletion rule above bind a
 * credential holder: without a device's signing key it can write no fresh entry, hence delete none.
 */
import * as Y from 'yjs'
import { ENTRIES_KEY, isWellFormedEntry } from '../../../shared/src/envelope/entry-shape'
import type { Limits } from '../../../shared/src/protocol/constants'
import type { FrameRejectionReason } from '../metrics/relay-metrics'
import { FrameError } from './frame-error'
import { decodeUpdate, encodeUpdate, placeOf, StoredStructs, type DeleteRange, type Struct, type StructRun } from './yjs-structs'

/** Clocks at or past this are not a real device's (4 billion entries of one writer); it keeps them exact. */
export const MAX_CLOCK = 2 ** 32

/** An entry the update writes that the room lacks, at its outer id (what its signature binds). */
export interface FreshEntry {
  readonly client: number
  readonly clock: number
  readonly entry: { readonly d: string; readonly c: Uint8Array; readonly w?: string; readonly s?: Uint8Array }
}

export type UpdateVerdict =
  | { readonly kind: 'accepted'; readonly update: Uint8Array; readonly trimmed: boolean; readonly entries: readonly FreshEntry[] }
  | { readonly kind: 'nothing-new' }
  | { readonly kind: 'incomplete'; readonly missing: string }

const NOTHING_NEW: UpdateVerdict = { kind: 'nothing-new' }

/** The refusals of a well-framed update that is not a well-formed change of the envelope. */
export type UpdateRefusalReason = Extract<
  FrameRejectionReason,
  'not_an_item' | 'outside_entries' | 'not_an_entry' | 'uncovered_deletion' | 'malformed_update' | 'dangling_reference'
>

function refuse(reason: UpdateRefusalReason, message: string): never {
  throw new FrameError('BadFrame', reason, message)
}

/** A client's structs in the update: contiguous, from `start` to `end`. */
interface Run {
  readonly client: number
  readonly items: Y.Item[]
  readonly start: number
  end: number
}

/**
 * Checks `update` against the room's doc. Throws FrameError when it must be refused; pure
 * otherwise (the doc is read, never changed).
 */
export function checkUpdate(update: Uint8Array, doc: Y.Doc, limits: Pick<Limits, 'maxUpdateBytes'>): UpdateVerdict {
  if (update.byteLength > limits.maxUpdateBytes) {
    throw new FrameError('UpdateTooLarge', 'update_too_large', `update of ${update.byteLength} bytes exceeds the relay's limit of ${limits.maxUpdateBytes}`)
  }
  let decoded: ReturnType<typeof decodeUpdate>
  try {
    decoded = decodeUpdate(update)
  } catch (error) {
    throw new FrameError('BadFrame', 'bad_frame', `malformed Yjs update (${error instanceof Error ? error.message : 'unknown'})`)
  }
  if (decoded.structs.length === 0 && decoded.deletes.size === 0) return NOTHING_NEW
  const runs = readRuns(decoded.structs, limits.maxUpdateBytes)
  const deletes = readDeletes(decoded.deletes)
  const room = new StoredStructs(doc)
  const entries = room.rootType(ENTRIES_KEY)
  for (const run of runs.values()) {
    const held = room.clock(run.client)
    if (run.start > held) return incomplete(`writer ${run.client} from clock ${run.start}, the room holds it up to ${held}`)
  }
  const missingPlace = checkPlaces(runs, room, entries)
  if (missingPlace !== null) return incomplete(missingPlace)
  const deletion = checkDeletions(deletes, runs, room, entries)
  if (typeof deletion === 'string') return incomplete(deletion)

  // What the room lacks: each client's structs from its clock on, and the deletions that change it.
  const fresh: StructRun[] = []
  const freshEntries: FreshEntry[] = []
  let trimmed = false
  for (const run of runs.values()) {
    const held = room.clock(run.client)
    if (held >= run.end) {
      trimmed = true
      continue
    }
    const first = run.items.findIndex((item) => item.id.clock + item.length > held)
    const offset = Math.max(0, held - run.items[first]!.id.clock)
    if (first > 0 || offset > 0) trimmed = true
    fresh.push({ client: run.client, structs: run.items.slice(first), offset })
    for (const item of run.items.slice(first)) {
      if (!(item.content instanceof Y.ContentAny)) continue
      const elements = item.content.getContent() as Array<FreshEntry['entry']>
      for (let i = Math.max(0, held - item.id.clock); i < elements.length; i++) freshEntries.push({ client: run.client, clock: item.id.clock + i, entry: elements[i]! })
    }
  }
  if (deletion.dropped) trimmed = true
  if (fresh.length === 0 && deletion.effective.size === 0) return NOTHING_NEW
  if (!trimmed) return { kind: 'accepted', update, trimmed: false, entries: freshEntries }
  return { kind: 'accepted', update: encodeUpdate(fresh, deletion.effective), trimmed: true, entries: freshEntries }
}

function incomplete(missing: string): UpdateVerdict {
  return { kind: 'incomplete', missing }
}

function at(struct: Struct): string {
  return `struct ${struct.id.client}:${struct.id.clock}`
}

/** Every struct's own shape, grouped by client. */
function readRuns(structs: readonly Struct[], maxCiphertextBytes: number): Map<number, Run> {
  const runs = new Map<number, Run>()
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) {
      refuse('not_an_item', `${at(struct)} is a ${struct instanceof Y.Skip ? 'Skip' : 'GC'}: an envelope update holds entries only`)
    }
    const { client, clock } = struct.id
    if (clock + struct.length > MAX_CLOCK) refuse('malformed_update', `${at(struct)} reaches clock ${clock + struct.length}, past ${MAX_CLOCK}`)
    let run = runs.get(client)
    if (!run) {
      run = { client, items: [], start: clock, end: clock }
      runs.set(client, run)
    }
    if (clock !== run.end) refuse('malformed_update', `${at(struct)} does not follow the writer's previous struct (clock ${run.end})`)
    checkItem(struct, maxCiphertextBytes)
    run.items.push(struct)
    run.end = clock + struct.length
  }
  return runs
}

function checkItem(item: Y.Item, maxCiphertextBytes: number): void {
  const { parent, parentSub } = placeOf(item)
  if (parentSub !== null) refuse('outside_entries', `${at(item)} is a map key: entries live in one array`)
  if (parent instanceof Y.ID) refuse('outside_entries', `${at(item)} is inside another type, not in the entries array`)
  if (typeof parent === 'string' && parent !== ENTRIES_KEY) refuse('outside_entries', `${at(item)} is in another root type than "${ENTRIES_KEY}"`)
  const content = item.content
  if (content instanceof Y.ContentAny) {
    for (const element of content.getContent()) {
      if (!isWellFormedEntry(element, maxCiphertextBytes)) refuse('not_an_entry', `${at(item)} holds an element that is not an entry {d, c}`)
    }
  } else if (!(content instanceof Y.ContentDeleted)) {
    refuse('not_an_entry', `${at(item)} holds ${content.constructor.name}, not entries`)
  }
}

/** The delete set's shape: per client, ranges of positive length, sorted and disjoint. */
function readDeletes(deletes: ReadonlyMap<number, readonly DeleteRange[]>): Map<number, readonly DeleteRange[]> {
  for (const [client, ranges] of deletes) {
    let end = 0
    for (const { clock, len } of ranges) {
      if (len < 1 || clock < end) refuse('malformed_update', `deleted ranges of ${client} are not sorted, disjoint and non-empty`)
      end = clock + len
      if (end > MAX_CLOCK) refuse('malformed_update', `a deleted range of ${client} reaches clock ${end}, past ${MAX_CLOCK}`)
    }
  }
  return new Map([...deletes].filter(([, ranges]) => ranges.length > 0))
}

/** The run's item holding `clock`, or null. */
function itemAt(run: Run | undefined, clock: number): Y.Item | null {
  if (!run || clock < run.start || clock >= run.end) return null
  let low = 0
  let high = run.items.length - 1
  while (low <= high) {
    const mid = (low + high) >> 1
    const item = run.items[mid]!
    if (clock < item.id.clock) high = mid - 1
    else if (clock >= item.id.clock + item.length) low = mid + 1
    else return item
  }
  return null
}

/**
 * Every item without a root name is placed by entries: what its origin and right origin name is an
 * entry of the room, or an item of this update (an earlier clock of the same writer; across
 * writers, without a cycle). Returns what is missing, or null.
 */
function checkPlaces(runs: ReadonlyMap<number, Run>, room: StoredStructs, entries: unknown): string | null {
  /** Update items an item is placed by, for the cycle check. */
  const dependsOn = new Map<Y.Item, Y.Item[]>()
  for (const run of runs.values()) {
    for (const item of run.items) {
      const place = placeOf(item)
      if (place.parent !== null) continue
      for (const ref of [place.origin, place.rightOrigin]) {
        if (ref === null) continue
        if (ref.client === item.id.client && ref.clock >= item.id.clock) {
          refuse('malformed_update', `${at(item)} is placed by a later clock of its own writer`)
        }
        if (ref.clock < room.clock(ref.client)) {
          const stored = room.at(ref)
          if (!(stored instanceof Y.Item) || stored.parent !== entries || stored.parentSub !== null) {
            refuse('outside_entries', `${at(item)} is placed by ${ref.client}:${ref.clock}, which is not an entry`)
          }
          continue
        }
        const target = itemAt(runs.get(ref.client), ref.clock)
        if (target === null) return `${at(item)} is placed by ${ref.client}:${ref.clock}, which neither the room nor the update holds`
        if (ref.client !== item.id.client) dependsOn.set(item, [...(dependsOn.get(item) ?? []), target])
      }
    }
  }
  if (hasCycle(dependsOn)) refuse('dangling_reference', 'items of the update are placed by each other in a cycle: none could ever be integrated')
  return null
}

/** Depth-first, without recursion (a step 2 can chain thousands of items). */
function hasCycle(edges: ReadonlyMap<Y.Item, readonly Y.Item[]>): boolean {
  const done = new Set<Y.Item>()
  const onPath = new Set<Y.Item>()
  for (const start of edges.keys()) {
    if (done.has(start)) continue
    const stack: Array<{ item: Y.Item; next: number }> = [{ item: start, next: 0 }]
    onPath.add(start)
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      const targets = edges.get(top.item) ?? []
      if (top.next < targets.length) {
        const target = targets[top.next++]!
        if (onPath.has(target)) return true
        if (!done.has(target)) {
          onPath.add(target)
          stack.push({ item: target, next: 0 })
        }
      } else {
        onPath.delete(top.item)
        done.add(top.item)
        stack.pop()
      }
    }
  }
  return false
}

/** Whether `ranges` (sorted, disjoint) hold `clock`. */
function holds(ranges: readonly DeleteRange[] | undefined, clock: number): boolean {
  if (!ranges) return false
  let low = 0
  let high = ranges.length - 1
  while (low <= high) {
    const mid = (low + high) >> 1
    const range = ranges[mid]!
    if (clock < range.clock) high = mid - 1
    else if (clock >= range.clock + range.len) low = mid + 1
    else return true
  }
  return false
}

interface Deletion {
  /** The ranges that delete something live, per client. */
  readonly effective: Map<number, DeleteRange[]>
  /** Some of the update's ranges deleted nothing live: they are left out of what is stored. */
  readonly dropped: boolean
}

/**
 * Each deleted range covers clocks the room or the update holds; every live entry it deletes is of
 * a doc this update writes a new, surviving entry of. Returns what is missing, or the deletions
 * that change the room.
 */
function checkDeletions(deletes: ReadonlyMap<number, readonly DeleteRange[]>, runs: ReadonlyMap<number, Run>, room: StoredStructs, entries: unknown): Deletion | string {
  const effective = new Map<number, DeleteRange[]>()
  if (deletes.size === 0) return { effective, dropped: false }
  const covered = coveredDocs(runs, room, deletes)
  let kept = 0
  let total = 0
  const keep = (client: number, clock: number, end: number) => {
    kept += end - clock
    const ranges = effective.get(client) ?? []
    const last = ranges[ranges.length - 1]
    if (last && last.clock + last.len === clock) ranges[ranges.length - 1] = { clock: last.clock, len: last.len + end - clock }
    else ranges.push({ clock, len: end - clock })
    effective.set(client, ranges)
  }
  const entriesDeleted = (item: Y.Item, from: number, to: number) => {
    const elements = item.content.getContent() as Array<{ d: string }>
    for (let clock = from; clock < to; clock++) {
      if (!covered.has(elements[clock - item.id.clock]!.d)) {
        refuse('uncovered_deletion', `deletes entry ${item.id.client}:${clock} without a new entry of its doc in the same update`)
      }
    }
  }
  for (const [client, ranges] of deletes) {
    const held = room.clock(client)
    const run = runs.get(client)
    const reach = Math.max(held, run?.end ?? 0)
    for (const { clock, len } of ranges) {
      const end = clock + len
      total += len
      if (end > reach) return `deletes ${client}:${clock}..${end}, which neither the room nor the update holds`
      // What the room holds: deleted already (nothing to do), or a live entry to delete.
      for (const stored of room.overlapping(client, clock, Math.min(end, held))) {
        if (stored.deleted) continue
        if (!(stored instanceof Y.Item) || stored.parent !== entries || !(stored.content instanceof Y.ContentAny)) {
          refuse('outside_entries', `deletes ${at(stored)}, which is not an entry`)
        }
        const from = Math.max(clock, stored.id.clock)
        const to = Math.min(end, stored.id.clock + stored.length)
        entriesDeleted(stored, from, to)
        keep(client, from, to)
      }
      // What the update itself writes: entries written deleted already, or entries it deletes.
      for (let c = Math.max(clock, held); c < end; ) {
        const item = itemAt(run, c)!
        const to = Math.min(end, item.id.clock + item.length)
        if (item.content instanceof Y.ContentAny) {
          entriesDeleted(item, c, to)
          keep(client, c, to)
        }
        c = to
      }
    }
  }
  return { effective, dropped: kept < total }
}

/** The docs (`d`) of the entries this update writes that the room lacks and the update keeps. */
function coveredDocs(runs: ReadonlyMap<number, Run>, room: StoredStructs, deletes: ReadonlyMap<number, readonly DeleteRange[]>): Set<string> {
  const docs = new Set<string>()
  for (const run of runs.values()) {
    const held = room.clock(run.client)
    const ranges = deletes.get(run.client)
    for (const item of run.items) {
      if (!(item.content instanceof Y.ContentAny) || item.id.clock + item.length <= held) continue
      const elements = item.content.getContent() as Array<{ d: string }>
      elements.forEach((element, i) => {
        const clock = item.id.clock + i
        if (clock >= held && !holds(ranges, clock)) docs.add(element.d)
      })
    }
  }
  return docs
}
