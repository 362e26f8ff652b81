/**
 * One big Yjs update cut into smaller updates that apply one after another, each a bounded piece
 * of work, with the same result as the whole: the directory of 20,000 patients (≈350,000 structs,
 * ≈14 MB) integrates in one task of 1.5–3 s on a tablet's main thread; its slices integrate in
 * tasks of tens of milliseconds, with the browser free in between (client/src/sync/decode/,
 * docs/performance.md « (10) »). Used three ways: the decode worker cuts a doc's merged entries
 * into slices (by struct count); a compaction writes a big doc's snapshot as several entries
 * (by bytes, shared/src/envelope/envelope.ts); a device applies a big envelope update from the
 * relay or from IndexedDB in tasks (by ciphertext bytes, client/src/sync/adapters/).
 *
 *   update  = structs of each client (clock ranges) ‖ delete set
 *   slices  = [ structs ⊂ update, in causal order, at most `maxStructs` (and `maxWeight`) each,
 *               empty delete set ] …
 *             [ what no slice could hold, if any ]  [ no struct, the update's delete set, if any ]
 *
 * Causal order: a slice holds, for each client, the structs following what earlier slices held of
 * it, and stops a client's run before a struct whose origin, right origin or parent (another
 * client's struct) no earlier slice holds — so no slice leaves Yjs with pending structs to retry.
 * A gap in a client's clocks (a Skip, in a merged partial update) ends that client's run in this
 * slice, and the next slice goes on after it: the clocks it skips are the doc's already (entries
 * merged in groups, each group after the ones before it: the decode worker) or missing from both,
 * and Yjs keeps what follows pending alike, whole or sliced. (Ending the client's run for good sent
 * everything behind a gap to one last slice: 21,000 structs of the directory, ≈ 1 MB, 80 ms in
 * Node and 140 ms on the page.)
 *
 * Weight: with `weigh`, a slice also stops before the struct that would take it past `maxWeight`
 * (a slice always holds at least one struct). Yjs merges a writer's consecutive array elements
 * into one struct (the envelope's entries: a compaction's chunks, a device's edits in a row), so
 * a ContentAny struct heavier than `maxWeight` is first split into consecutive pieces, the way
 * Yjs's own splitItem does (each piece's origin is the previous piece's last element).
 *
 * Beyond Yjs's public surface this relies on (pinned: YJS_VERSION, checked by
 * update-slices.test.ts, which fails if an upgrade changes it): `decodeUpdate`'s structs written
 * back with their own `write(encoder, 0)` (what Yjs's mergeUpdates does), the V1 layout
 * (`UpdateEncoderV1.restEncoder`, `writeClient`, `resetDsCurVal`, `writeDsClock`, `writeDsLen`;
 * a delete set as Yjs's own writeDeleteSet lays it out), the un-integrated fields of a decoded Item
 * (`origin`, `rightOrigin`: ID or null; `parent`: ID, string or null; `parentSub`), and the Item
 * constructor's parameters (id, left, origin, right, rightOrigin, parent, parentSub, content).
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

/** The yjs release this adapter was written and tested against. */
export const YJS_VERSION = '13.6.33'

export type Struct = ReturnType<typeof Y.decodeUpdate>['structs'][number]
type DeleteSet = ReturnType<typeof Y.decodeUpdate>['ds']

/** How big the slices may be. */
export interface SliceLimits {
  /** Structs per slice, at most. */
  readonly maxStructs: number
  /** With `weigh`: the weight of a slice's structs, at most (a struct heavier than this alone). */
  readonly maxWeight?: number
  /** A struct's weight (bytes it stands for, usually); a ContentAny's is split by its elements'. */
  readonly weigh?: (struct: Struct) => number
}

/** Elements `from` to `to` of a ContentAny item, as an item of their own (Yjs's splitItem, unintegrated). */
function pieceOf(item: Y.Item, from: number, to: number): Y.Item {
  const { client, clock } = item.id
  const origin = from === 0 ? item.origin : Y.createID(client, clock + from - 1)
  const elements = (item.content as Y.ContentAny).arr.slice(from, to)
  return new Y.Item(Y.createID(client, clock + from), null, origin, null, item.rightOrigin, item.parent, item.parentSub, new Y.ContentAny(elements))
}

/**
 * ContentAny structs heavier than `maxWeight` as consecutive pieces, each as heavy as it can be
 * without passing it (a single element heavier than that alone); other structs as they are.
 */
function splitHeavy(structs: readonly Struct[], maxWeight: number, weigh: (struct: Struct) => number): Struct[] {
  const out: Struct[] = []
  for (const struct of structs) {
    if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentAny) || struct.length < 2 || weigh(struct) <= maxWeight) {
      out.push(struct)
      continue
    }
    let from = 0
    let weight = 0
    for (let i = 0; i < struct.length; i++) {
      const w = weigh(pieceOf(struct, i, i + 1))
      if (i > from && weight + w > maxWeight) {
        out.push(pieceOf(struct, from, i))
        from = i
        weight = 0
      }
      weight += w
    }
    out.push(pieceOf(struct, from, struct.length))
  }
  return out
}

/** Each client's structs of a decoded update, in clock order. */
function byClient(structs: readonly Struct[]): Map<number, Struct[]> {
  const clients = new Map<number, Struct[]>()
  for (const struct of structs) {
    const list = clients.get(struct.id.client)
    if (list) list.push(struct)
    else clients.set(struct.id.client, [struct])
  }
  for (const list of clients.values()) list.sort((a, b) => a.id.clock - b.id.clock)
  return clients
}

/** The structs of other clients this one needs integrated first. */
function dependencies(struct: Struct): Y.ID[] {
  if (!(struct instanceof Y.Item)) return []
  const deps: Y.ID[] = []
  if (struct.origin) deps.push(struct.origin)
  if (struct.rightOrigin) deps.push(struct.rightOrigin)
  const parent: unknown = struct.parent
  if (parent instanceof Y.ID) deps.push(parent)
  // A struct of a doc (stateSlices): its parent is the type itself, placed by its own item.
  else if (parent instanceof Y.AbstractType && parent._item) deps.push(parent._item.id)
  return deps
}

function encodeSlice(runs: ReadonlyArray<{ client: number; structs: readonly Struct[] }>): Uint8Array {
  const encoder = new Y.UpdateEncoderV1()
  encoding.writeVarUint(encoder.restEncoder, runs.length)
  // Higher clients first, as Yjs writes an update: its mergeUpdates reads each update's clients in
  // that order, and silently drops structs of an update written otherwise (a compaction's chunks
  // are merged by the decode worker: the directory lost its first writer's structs).
  for (const { client, structs } of [...runs].sort((a, b) => b.client - a.client)) {
    encoding.writeVarUint(encoder.restEncoder, structs.length)
    encoder.writeClient(client)
    encoding.writeVarUint(encoder.restEncoder, structs[0]!.id.clock)
    for (const struct of structs) struct.write(encoder, 0)
  }
  // An empty delete set: the last slice carries the update's.
  encoding.writeVarUint(encoder.restEncoder, 0)
  return encoder.toUint8Array()
}

/**
 * `update` (V1) as slices that, applied in order, give what applying `update` gives. An update
 * within the limits (a number: `maxStructs`) comes back as itself. Throws what Yjs throws on a
 * malformed update.
 */
export function sliceUpdate(update: Uint8Array, limits: SliceLimits | number): Uint8Array[] {
  return [...slicesOf(update, limits)]
}

/** The slices of `update` one at a time, each encoded when asked for (a caller may pass them on early). */
export function* slicesOf(update: Uint8Array, limits: SliceLimits | number): Generator<Uint8Array> {
  const { maxStructs, maxWeight, weightOf } = readLimits(limits)
  const decoded = Y.decodeUpdate(update)
  const total = maxWeight < Infinity ? decoded.structs.reduce((sum, struct) => sum + weightOf(struct), 0) : 0
  if (decoded.structs.length <= maxStructs && total <= maxWeight) return yield update
  const structs = maxWeight < Infinity ? splitHeavy(decoded.structs, maxWeight, weightOf) : decoded.structs
  yield* cut(byClient(structs), decoded.ds, maxStructs, maxWeight, weightOf)
}

/**
 * A doc's whole state (what `Y.encodeStateAsUpdate(doc)` gives) as slices, cut from the doc's own
 * structs: no decode of the encoded state, which costs as much as applying it (a compaction's
 * chunks, envelope.ts). A doc with pending structs goes through its encoded state, which carries
 * them.
 */
export function* stateSlices(doc: Y.Doc, limits: SliceLimits | number): Generator<Uint8Array> {
  if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) return yield* slicesOf(Y.encodeStateAsUpdate(doc), limits)
  const { maxStructs, maxWeight, weightOf } = readLimits(limits)
  let count = 0
  let total = 0
  for (const structs of doc.store.clients.values()) {
    count += structs.length
    if (maxWeight < Infinity) for (const struct of structs) total += weightOf(struct)
  }
  if (count <= maxStructs && total <= maxWeight) return yield Y.encodeStateAsUpdate(doc)
  const clients = new Map<number, Struct[]>()
  for (const [client, structs] of doc.store.clients) {
    clients.set(client, maxWeight < Infinity ? splitHeavy(structs, maxWeight, weightOf) : structs)
  }
  yield* cut(clients, Y.createDeleteSetFromStructStore(doc.store), maxStructs, maxWeight, weightOf)
}

function readLimits(limits: SliceLimits | number): { maxStructs: number; maxWeight: number; weightOf: (struct: Struct) => number } {
  const { maxStructs, maxWeight = Infinity, weigh } = typeof limits === 'number' ? { maxStructs: limits } : limits
  if (!Number.isInteger(maxStructs) || maxStructs < 1) throw new RangeError(`maxStructs must be a positive integer, got ${maxStructs}`)
  if (!(maxWeight > 0)) throw new RangeError(`maxWeight must be positive, got ${maxWeight}`)
  // Without a weigh, a weight limit means nothing: every struct weighs nothing.
  return weigh ? { maxStructs, maxWeight, weightOf: weigh } : { maxStructs, maxWeight: Infinity, weightOf: () => 0 }
}

/** Each client's structs (clock order) cut into causal slices, then what none could hold, then `ds`. */
function* cut(clients: ReadonlyMap<number, readonly Struct[]>, ds: DeleteSet, maxStructs: number, maxWeight: number, weightOf: (struct: Struct) => number): Generator<Uint8Array> {
  /** Per client: the next struct's index, and the clock up to which earlier slices hold it. */
  const next = new Map<number, number>([...clients.keys()].map((c) => [c, 0]))
  const held = new Map<number, number>()
  /** Per client: the clocks this update holds of it, from its first struct to the end of its last. */
  const spans = new Map<number, readonly [number, number]>()
  for (const [client, list] of clients) {
    const last = list[list.length - 1]
    if (last) spans.set(client, [list[0]!.id.clock, last.id.clock + last.length])
  }
  // A struct outside the update (before its first clock of that writer, or of a writer it does not
  // hold) is in the doc already or missing from both: Yjs keeps what needs it pending alike, whole
  // or sliced, so only what the update itself holds orders the slices. (Counting those as unheld
  // sent all of a compaction's later chunks to one last slice: one long task per chunk.)
  const holds = (id: Y.ID) => {
    const span = spans.get(id.client)
    if (!span || id.clock < span[0] || id.clock >= span[1]) return true
    return id.clock < (held.get(id.client) ?? 0)
  }
  for (;;) {
    const runs: Array<{ client: number; structs: Struct[] }> = []
    let room = maxStructs
    let weight = 0
    // What this slice adds counts only from the next slice on: dependencies must be in an earlier one.
    const adds: Array<[number, number]> = []
    let skipped = false
    for (const [client, list] of clients) {
      if (room === 0 || (weight > 0 && weight >= maxWeight)) break
      let start = next.get(client)!
      // A gap at the head of what is left: step over it, its clocks held (see the module comment).
      while (start < list.length && list[start] instanceof Y.Skip) {
        const skip = list[start]!
        adds.push([client, skip.id.clock + skip.length])
        start++
        skipped = true
      }
      next.set(client, start)
      let end = start
      while (end < list.length && end - start < room) {
        const struct = list[end]!
        // A gap ends the run: a run's structs are consecutive clocks.
        if (struct instanceof Y.Skip) break
        if (!dependencies(struct).every((id) => id.client === client || holds(id))) break
        const w = weightOf(struct)
        // The slice's first struct goes in whatever it weighs: a slice is never empty.
        if (weight > 0 && weight + w > maxWeight) break
        weight += w
        end++
      }
      if (end === start) continue
      runs.push({ client, structs: list.slice(start, end) })
      next.set(client, end)
      room -= end - start
      const last = list[end - 1]!
      adds.push([client, last.id.clock + last.length])
    }
    for (const [client, clock] of adds) held.set(client, clock)
    if (runs.length > 0) yield encodeSlice(runs)
    // Nothing to add and no gap stepped over: what is left waits on what the update lacks.
    else if (!skipped) break
  }
  // What no slice could hold (waiting on a struct the update lacks) goes last, as Yjs would have
  // kept it: pending in the doc until what it needs arrives. Then the deletions.
  const rest = [...clients].map(([client, list]) => ({ client, structs: list.slice(next.get(client)) })).filter((run) => run.structs.length > 0)
  if (rest.length > 0) yield encodeSlice(rest)
  // No slice for a delete set with nothing in it: every caller would skip an update that holds nothing.
  if ([...ds.clients.values()].some((deletes) => deletes.length > 0)) yield encodeDeleteSet(ds)
}

/** An update of no struct and the delete set `ds` (V1: client, count, then clock and length pairs). */
function encodeDeleteSet(ds: DeleteSet): Uint8Array {
  const encoder = new Y.UpdateEncoderV1()
  encoding.writeVarUint(encoder.restEncoder, 0)
  const clients = [...ds.clients].filter(([, deletes]) => deletes.length > 0)
  encoding.writeVarUint(encoder.restEncoder, clients.length)
  for (const [client, deletes] of clients) {
    encoder.resetDsCurVal()
    encoding.writeVarUint(encoder.restEncoder, client)
    encoding.writeVarUint(encoder.restEncoder, deletes.length)
    for (const item of deletes) {
      encoder.writeDsClock(item.clock)
      encoder.writeDsLen(item.len)
    }
  }
  return encoder.toUint8Array()
}

/** A rough size of one value of a ContentAny or ContentJSON, in bytes as a V1 update writes it. */
function valueBytes(value: unknown): number {
  if (typeof value === 'string') return value.length + 1
  if (value instanceof Uint8Array) return value.byteLength + 2
  if (value === null || value === undefined || typeof value !== 'object') return 9
  return JSON.stringify(value)?.length ?? 1
}

/**
 * About how many bytes a struct takes in a V1 update (ids, origins, content): a weight for
 * `SliceLimits.weigh` where slices must be of a size in bytes (a compaction's chunks), without
 * encoding each struct to measure it.
 */
export function estimatedBytes(struct: Struct): number {
  const head = 12
  if (!(struct instanceof Y.Item)) return head
  const content: unknown = struct.content
  if (content instanceof Y.ContentString) return head + content.str.length
  if (content instanceof Y.ContentBinary) return head + content.content.byteLength
  if (content instanceof Y.ContentAny || content instanceof Y.ContentJSON) {
    let bytes = head
    for (const value of content.getContent()) bytes += valueBytes(value)
    return bytes
  }
  // ContentDeleted, ContentType (a map, an array): a few bytes. Formats, embeds, subdocs: none here.
  return head + 4
}
