/**
 * What the relay reads and writes of Yjs beyond its documented surface, in this module only
 * (pinned: YJS_VERSION; yjs-structs.test.ts fails if an upgrade changes any of it):
 *
 *   - an update (V1) decoded by `decodeUpdate`, before integration: GC, Skip and Item structs, an
 *     Item's `origin` and `rightOrigin` (ID or null), `parent` (the root type's name as a string,
 *     an ID, or null when an origin gives it), `parentSub` and `content`; the delete set as
 *     `ds.clients` (client → `{clock, len}` in the order written);
 *   - a doc's struct store: `doc.store.clients` (each client's structs in clock order) searched with
 *     `findIndexSS`, an integrated Item's `parent` (the type) and `deleted`, `doc.share` (root types);
 *   - writing structs back with their own `write(encoder, offset)` into an `UpdateEncoderV1` (what
 *     Yjs's diffUpdate does), and a V1 delete set laid out as Yjs's writeDeleteSet does:
 *
 *       update     = varUint(#clients) { varUint(#structs) varUint(client) varUint(clock) struct* }*
 *                    deleteSet
 *       deleteSet  = varUint(#clients) { varUint(client) varUint(#ranges) { varUint(clock) varUint(len) }* }*
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

/** The yjs release this adapter was written and tested against. */
export const YJS_VERSION = '13.6.33'

export type Struct = ReturnType<typeof Y.decodeUpdate>['structs'][number]

export interface DeleteRange {
  readonly clock: number
  readonly len: number
}

export interface DecodedUpdate {
  /** Structs in the order written: each client's in clock order. */
  readonly structs: readonly Struct[]
  /** Deleted ranges per client, in the order written. */
  readonly deletes: ReadonlyMap<number, readonly DeleteRange[]>
}

/** Throws what Yjs throws on bytes that are not a V1 update. */
export function decodeUpdate(update: Uint8Array): DecodedUpdate {
  const { structs, ds } = Y.decodeUpdate(update)
  const deletes = new Map<number, DeleteRange[]>()
  for (const [client, items] of ds.clients) deletes.set(client, items.map(({ clock, len }) => ({ clock, len })))
  return { structs, deletes }
}

/** Where a decoded (not integrated) Item says it goes. */
export interface ItemPlace {
  readonly origin: Y.ID | null
  readonly rightOrigin: Y.ID | null
  /** A root type's name, the ID of the item of the type it is inside, or null (its origins tell). */
  readonly parent: string | Y.ID | null
  readonly parentSub: string | null
}

export function placeOf(item: Y.Item): ItemPlace {
  const parent: unknown = item.parent
  return {
    origin: item.origin,
    rightOrigin: item.rightOrigin,
    parent: typeof parent === 'string' || parent instanceof Y.ID ? parent : null,
    parentSub: item.parentSub,
  }
}

/** A doc's structs, as the relay's room holds them. */
export class StoredStructs {
  constructor(private readonly doc: Y.Doc) {}

  /** The next clock of `client`: it holds every clock below. */
  clock(client: number): number {
    return Y.getState(this.doc.store, client)
  }

  /** The root type `name`, if the doc has one. */
  rootType(name: string): unknown {
    return this.doc.share.get(name)
  }

  /** The struct holding `id`, or null when the doc does not hold it. */
  at(id: Y.ID): Y.Item | Y.GC | null {
    if (id.clock >= this.clock(id.client)) return null
    const structs = this.doc.store.clients.get(id.client)!
    return structs[Y.findIndexSS(structs, id.clock)] as Y.Item | Y.GC
  }

  /** The structs of `client` that hold a clock of [clock, end), in clock order (end ≤ clock(client)). */
  *overlapping(client: number, clock: number, end: number): Generator<Y.Item | Y.GC> {
    if (clock >= end) return
    const structs = this.doc.store.clients.get(client)!
    for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
      const struct = structs[i] as Y.Item | Y.GC
      if (struct.id.clock >= end) return
      yield struct
    }
  }
}

/** Of `client`, its structs, the first written from `offset` clocks in (what the room lacks). */
export interface StructRun {
  readonly client: number
  readonly structs: readonly Struct[]
  readonly offset: number
}

/** Encodes a V1 update of `runs` and `deletes` (ranges of one client sorted and disjoint). */
export function encodeUpdate(runs: readonly StructRun[], deletes: ReadonlyMap<number, readonly DeleteRange[]>): Uint8Array {
  const encoder = new Y.UpdateEncoderV1()
  encoding.writeVarUint(encoder.restEncoder, runs.length)
  for (const { client, structs, offset } of runs) {
    encoding.writeVarUint(encoder.restEncoder, structs.length)
    encoder.writeClient(client)
    encoding.writeVarUint(encoder.restEncoder, structs[0]!.id.clock + offset)
    structs.forEach((struct, i) => struct.write(encoder, i === 0 ? offset : 0))
  }
  const clients = [...deletes].filter(([, ranges]) => ranges.length > 0)
  encoding.writeVarUint(encoder.restEncoder, clients.length)
  for (const [client, ranges] of clients) {
    encoder.resetDsCurVal()
    encoding.writeVarUint(encoder.restEncoder, client)
    encoding.writeVarUint(encoder.restEncoder, ranges.length)
    for (const { clock, len } of ranges) {
      encoder.writeDsClock(clock)
      encoder.writeDsLen(len)
    }
  }
  return encoder.toUint8Array()
}
