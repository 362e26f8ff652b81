/**
 * One big Yjs update cut into smaller updates that apply one after another, each a bounded piece
 * of work, with the same result as the whole: the directory of 20,000 patients (≈350,000 structs,
 * ≈14 MB) integrates in one task of 1.5–3 s on a tablet's main thread; its slices integrate in
 * tasks of tens of milliseconds, with the browser free in between (decode/, docs/performance.md
 * « (10) »).
 *
 *   update  = structs of each client (clock ranges) ‖ delete set
 *   slices  = [ structs ⊂ update, in causal order, at most `maxStructs` each, empty delete set ] …
 *             [ what no slice could hold, if any ]  [ no struct, the update's whole delete set ]
 *
 * Causal order: a slice holds, for each client, the structs following what earlier slices held of
 * it, and stops a client's run before a struct whose origin, right origin or parent (another
 * client's struct) no earlier slice holds — so no slice leaves Yjs with pending structs to retry.
 * A gap in a client's clocks (a Skip, in a merged partial update) ends that client's run for good:
 * Yjs would keep what follows pending, whole or sliced alike.
 *
 * Beyond Yjs's public surface this relies on (pinned: YJS_VERSION, checked by
 * update-slices.test.ts, which fails if an upgrade changes it): `decodeUpdate`'s structs written
 * back with their own `write(encoder, 0)` (what Yjs's mergeUpdates does), the V1 layout
 * (`UpdateEncoderV1.restEncoder`, `writeClient`, `resetDsCurVal`, `writeDsClock`, `writeDsLen`;
 * a delete set as Yjs's own writeDeleteSet lays it out), and the un-integrated fields of a decoded Item
 * (`origin`, `rightOrigin`: ID or null; `parent`: ID, string or null).
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

/** The yjs release this adapter was written and tested against. */
export const YJS_VERSION = '13.6.33'

type Struct = ReturnType<typeof Y.decodeUpdate>['structs'][number]

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
  return deps
}

function encodeSlice(runs: ReadonlyArray<{ client: number; structs: readonly Struct[] }>): Uint8Array {
  const encoder = new Y.UpdateEncoderV1()
  encoding.writeVarUint(encoder.restEncoder, runs.length)
  for (const { client, structs } of runs) {
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
 * `update` (V1) as slices that, applied in order, give what applying `update` gives. An update of
 * at most `maxStructs` structs comes back as itself. Throws what Yjs throws on a malformed update.
 */
export function sliceUpdate(update: Uint8Array, maxStructs: number): Uint8Array[] {
  return [...slicesOf(update, maxStructs)]
}

/** The slices of `update` one at a time, each encoded when asked for (a caller may pass them on early). */
export function* slicesOf(update: Uint8Array, maxStructs: number): Generator<Uint8Array> {
  if (!Number.isInteger(maxStructs) || maxStructs < 1) throw new RangeError(`maxStructs must be a positive integer, got ${maxStructs}`)
  const { structs, ds } = Y.decodeUpdate(update)
  if (structs.length <= maxStructs) return yield update
  const clients = byClient(structs)
  /** Per client: the next struct's index, and the clock up to which earlier slices hold it. */
  const next = new Map<number, number>([...clients.keys()].map((c) => [c, 0]))
  const held = new Map<number, number>()
  const stopped = new Set<number>()
  const holds = (id: Y.ID) => id.clock < (held.get(id.client) ?? 0)
  for (;;) {
    const runs: Array<{ client: number; structs: Struct[] }> = []
    let room = maxStructs
    // What this slice adds counts only from the next slice on: dependencies must be in an earlier one.
    const adds: Array<[number, number]> = []
    for (const [client, list] of clients) {
      if (room === 0) break
      if (stopped.has(client)) continue
      const start = next.get(client)!
      let end = start
      while (end < list.length && end - start < room) {
        const struct = list[end]!
        if (struct instanceof Y.Skip) {
          stopped.add(client)
          break
        }
        if (!dependencies(struct).every((id) => id.client === client || holds(id))) break
        end++
      }
      if (end === start) continue
      runs.push({ client, structs: list.slice(start, end) })
      next.set(client, end)
      room -= end - start
      const last = list[end - 1]!
      adds.push([client, last.id.clock + last.length])
    }
    if (runs.length === 0) break
    for (const [client, clock] of adds) held.set(client, clock)
    yield encodeSlice(runs)
  }
  // What no slice could hold (behind a gap, or waiting on a struct the update lacks) goes last, as
  // Yjs would have kept it: pending in the doc until what it needs arrives. Then the deletions.
  const rest = [...clients].map(([client, list]) => ({ client, structs: list.slice(next.get(client)) })).filter((run) => run.structs.length > 0)
  if (rest.length > 0) yield encodeSlice(rest)
  yield encodeDeleteSet(ds)
}

/** An update of no struct and the delete set `ds` (V1: client, count, then clock and length pairs). */
function encodeDeleteSet(ds: ReturnType<typeof Y.decodeUpdate>['ds']): Uint8Array {
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
