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

export interface ClockRange {
  readonly clock: number
  readonly len: number
}

/** What one update holds, per writer: its structs' clock ranges and its deletions', each sorted and merged. */
export interface UpdateCover {
  readonly structs: ReadonlyMap<number, readonly ClockRange[]>
  readonly deletes: ReadonlyMap<number, readonly ClockRange[]>
}

/**
 * What an update holds by clock, read without building its content: a 13.6 MB directory snapshot
 * costs 1.3-4.6 s through Y.decodeUpdate (which builds every Item, string and value) and ~0.1 s
 * here, on a busy 2-core machine (tests/bench/deletion-judgment.ts). Throws CoverReadError on bytes that are
 * not a V1 update.
 *
 * This walks Yjs's V1 encoding (pinned: the yjs and lib0 versions below; coverage.test.ts checks
 * it against Y.decodeUpdate on every kind of content and fails if an upgrade changes it):
 *
 *   update  = varUint(#clients) { varUint(#structs) varUint(client) varUint(clock) struct* }* deleteSet
 *   struct  = info:uint8, then
 *             info = 10          Skip: varUint(len)
 *             info & 31 = 0      GC: varUint(len)
 *             else               Item: [origin: 2 varUint if info & 128] [right origin: 2 varUint if
 *                                info & 64] [if neither: varUint(1) varString(root key) | varUint(0)
 *                                2 varUint(parent id); then varString(parentSub) if info & 32]
 *                                content by info & 31 (length in clock ticks):
 *                                1 deleted varUint(len) · 2 JSON varUint(n) n×varString · 3 binary
 *                                varUint8Array (1) · 4 string varString (its UTF-16 length) · 5 embed
 *                                varString (1) · 6 format 2×varString (1) · 7 type varUint(ref),
 *                                varString(name) for refs 3 and 5 (1) · 8 any varUint(n) n×any ·
 *                                9 doc varString any (1)
 *   any     = lib0's: 127 undefined 126 null 125 varInt 124 float32 123 float64 122 bigint64
 *             121 false 120 true 119 varString 118 object 117 array 116 varUint8Array
 */
export const COVER_READER_VERSIONS = { yjs: '13.6.33', lib0: '0.2.120' } as const

export class CoverReadError extends Error {
  override name = 'CoverReadError'
}

export function coverOf(update: Uint8Array): UpdateCover {
  const steps = readCover(update)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
  }
}

/**
 * coverOf in steps of STRUCTS_PER_STEP structs, `nextSlice()` awaited between them: a snapshot of
 * the 20,000-patient directory (~350,000 structs, ~0.1 s read whole) becomes tasks of a few
 * milliseconds, with the page free in between (the envelope's decoder gives `nextSlice`).
 */
export async function coverOfInSteps(update: Uint8Array, nextSlice: () => Promise<void>): Promise<UpdateCover> {
  const steps = readCover(update)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
    await nextSlice()
  }
}

// As many structs as a slice of client/src/sync/adapters/update-slices.ts: steps of ~0.5 ms, at
// most a few, on a busy 2-core machine (tests/bench/deletion-judgment.ts; 20,000 gave 4 ms steps
// and outliers of 60-70 ms).
const STRUCTS_PER_STEP = 4_000

function* readCover(update: Uint8Array): Generator<void, UpdateCover> {
  const r = new ByteReader(update)
  const structs = new Map<number, Array<{ clock: number; len: number }>>()
  let read = 0
  const clients = r.varUint()
  for (let i = 0; i < clients; i++) {
    const count = r.varUint()
    const client = r.varUint()
    let clock = r.varUint()
    const ranges: Array<{ clock: number; len: number }> = structs.get(client) ?? []
    structs.set(client, ranges)
    for (let j = 0; j < count; j++) {
      if (++read % STRUCTS_PER_STEP === 0) yield
      const info = r.byte()
      let len: number
      let held = true
      if (info === 10) {
        len = r.varUint()
        held = false
      } else if ((info & 31) === 0) len = r.varUint()
      else len = skipItem(r, info)
      if (held && len > 0) {
        // A client's structs follow one another: one range per run, not one object per struct.
        const last = ranges[ranges.length - 1]
        if (last && last.clock + last.len === clock) last.len += len
        else ranges.push({ clock, len })
      }
      clock += len
    }
  }
  const deletes = new Map<number, ClockRange[]>()
  const dsClients = r.varUint()
  for (let i = 0; i < dsClients; i++) {
    const client = r.varUint()
    const n = r.varUint()
    const ranges: ClockRange[] = deletes.get(client) ?? []
    for (let j = 0; j < n; j++) ranges.push({ clock: r.varUint(), len: r.varUint() })
    deletes.set(client, ranges)
  }
  return { structs: mergeEach(structs), deletes: mergeEach(deletes) }
}

/** Skips an Item after its info byte; returns its length in clock ticks. */
function skipItem(r: ByteReader, info: number): number {
  if (info & 128) r.id()
  if (info & 64) r.id()
  if ((info & (128 | 64)) === 0) {
    if (r.varUint() === 1) r.bytes()
    else r.id()
    if (info & 32) r.bytes()
  }
  switch (info & 31) {
    case 1:
      return r.varUint()
    case 2: {
      const n = r.varUint()
      for (let i = 0; i < n; i++) r.bytes()
      return n
    }
    case 3:
    case 5:
      r.bytes()
      return 1
    case 4:
      return utf16Length(r.bytes())
    case 6:
      r.bytes()
      r.bytes()
      return 1
    case 7: {
      const ref = r.varUint()
      if (ref === 3 || ref === 5) r.bytes()
      return 1
    }
    case 8: {
      const n = r.varUint()
      for (let i = 0; i < n; i++) skipAny(r, 0)
      return n
    }
    case 9:
      r.bytes()
      skipAny(r, 0)
      return 1
    default:
      throw new CoverReadError(`Unknown content ref ${info & 31}`)
  }
}

/** Nested values deeper than this are refused (a decrypted entry is a key holder's, still bounded). */
const MAX_ANY_DEPTH = 1000

function skipAny(r: ByteReader, depth: number): void {
  if (depth > MAX_ANY_DEPTH) throw new CoverReadError('Value nested too deep')
  const type = r.byte()
  switch (type) {
    case 127:
    case 126:
    case 121:
    case 120:
      return
    case 125:
      r.varUint() // a varInt ends where a varUint does: on a byte below 128
      return
    case 124:
      r.skip(4)
      return
    case 123:
    case 122:
      r.skip(8)
      return
    case 119:
    case 116:
      r.bytes()
      return
    case 118: {
      const n = r.varUint()
      for (let i = 0; i < n; i++) {
        r.bytes()
        skipAny(r, depth + 1)
      }
      return
    }
    case 117: {
      const n = r.varUint()
      for (let i = 0; i < n; i++) skipAny(r, depth + 1)
      return
    }
    default:
      throw new CoverReadError(`Unknown value type ${type}`)
  }
}

/** The length JavaScript gives the string these UTF-8 bytes decode to (2 per code point past U+FFFF). */
function utf16Length(utf8: Uint8Array): number {
  let n = 0
  for (let i = 0; i < utf8.length; i++) {
    const b = utf8[i]!
    if ((b & 0xc0) !== 0x80) n++
    if ((b & 0xf8) === 0xf0) n++
  }
  return n
}

class ByteReader {
  private pos = 0
  constructor(private readonly arr: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.arr.length) throw new CoverReadError('Unexpected end of update')
    return this.arr[this.pos++]!
  }

  varUint(): number {
    let num = 0
    let mult = 1
    for (;;) {
      const b = this.byte()
      num += (b & 127) * mult
      if (b < 128) return num
      mult *= 128
      if (num > Number.MAX_SAFE_INTEGER) throw new CoverReadError('Integer out of range')
    }
  }

  /** An ID: client and clock. */
  id(): void {
    this.varUint()
    this.varUint()
  }

  skip(n: number): void {
    if (this.pos + n > this.arr.length) throw new CoverReadError('Unexpected end of update')
    this.pos += n
  }

  /** A varUint8Array or varString: its bytes, as a view. */
  bytes(): Uint8Array {
    const n = this.varUint()
    this.skip(n)
    return this.arr.subarray(this.pos - n, this.pos)
  }
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
  writeDeleteSet(encoder, mergeEach(all))
  return encoding.toUint8Array(encoder)
}

/**
 * A v1 update's delete set, as Yjs 13.6 writes it (`writeDeleteSet`): the number of clients, then
 * per client — by decreasing id, so that the bytes are Yjs's own — its ranges as [clock, length].
 */
export function writeDeleteSet(encoder: encoding.Encoder, clients: ReadonlyMap<number, readonly ClockRange[]>): void {
  encoding.writeVarUint(encoder, clients.size)
  for (const [client, ranges] of [...clients].sort((a, b) => b[0] - a[0])) {
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, ranges.length)
    for (const { clock, len } of ranges) {
      encoding.writeVarUint(encoder, clock)
      encoding.writeVarUint(encoder, len)
    }
  }
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
