/**
 * The expected state vectors of a whole practice (5,199 docs at 10 × 10 years) as one byte array,
 * for a child process: lib0-encoded varUint(count) then, per doc, varString(docId) ‖
 * varUint8Array(Y.encodeStateVector bytes). One buffer crosses IPC (or a file) as it is, where a
 * Map of Maps would be cloned entry by entry.
 */
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import type { StateVector } from './bench-device'

export class StateVectorsDecodeError extends Error {
  override name = 'StateVectorsDecodeError'
}

export function encodeStateVectors(vectors: ReadonlyMap<string, StateVector>): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, vectors.size)
  for (const [docId, vector] of vectors) {
    encoding.writeVarString(encoder, docId)
    encoding.writeVarUint8Array(encoder, Y.encodeStateVector(vector))
  }
  return encoding.toUint8Array(encoder)
}

export function decodeStateVectors(bytes: Uint8Array): Map<string, StateVector> {
  const vectors = new Map<string, StateVector>()
  try {
    const decoder = decoding.createDecoder(bytes)
    const count = decoding.readVarUint(decoder)
    for (let i = 0; i < count; i++) {
      const docId = decoding.readVarString(decoder)
      vectors.set(docId, Y.decodeStateVector(decoding.readVarUint8Array(decoder)))
    }
    if (decoding.hasContent(decoder)) throw new Error(`${bytes.byteLength - decoder.pos} bytes left after ${count} docs`)
  } catch (error) {
    throw new StateVectorsDecodeError(`Invalid encoded state vectors: ${error instanceof Error ? error.message : String(error)}`)
  }
  return vectors
}
