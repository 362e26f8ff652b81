/**
 * The projected capacity of N relay nodes on N machines, from what the fan-out bench measured per
 * update (scenarios/fanout.ts): a node is one thread, so each machine gives its node one core.
 *
 *   one node               every update costs `singleNodeMs` (no Redis, no other node)
 *   N nodes, a practice's  an update costs `writingNodeMs` on the node its writer is on, plus
 *   devices on k of them   `otherNodeMs` on each of the k − 1 other nodes holding the room:
 *                          N × 1000 / (writingNodeMs + (k − 1) × otherNodeMs) updates/s, writers
 *                          spread evenly over the nodes
 *   PostgreSQL             every update costs `postgresMs` of its CPU whatever the number of
 *                          nodes: 1000 / postgresMs updates/s per core of PostgreSQL's machine
 *
 * No sticky routing is needed, so a practice's devices land on any node: with many devices each
 * practice ends up on every node (k = N), and the receiving cost grows with N. Routing a practice's
 * sockets to one or two nodes (k ≤ 2) keeps it flat. Both are projected.
 *
 * What it leaves out: the network between machines, PostgreSQL's disk (a commit's WAL flush is
 * latency, and group commit shares it between sessions, but a disk has its own rate), Redis (one
 * thread; measured apart by the bench), and each node's fixed costs (timers, keep-alives), which the
 * measured figures carry at the bench's rate.
 */
export interface CapacityInputs {
  /** Relay CPU per update of one node alone (ms). */
  singleNodeMs: number
  /** CPU per update of the node that commits and publishes, with a second node (ms). */
  writingNodeMs: number
  /** CPU per update of a node that receives it from Redis and sends it to its sockets (ms). */
  otherNodeMs: number
  /** PostgreSQL's CPU per update (ms). */
  postgresMs: number
}

export interface CapacityProjection {
  nodes: number
  /** A practice's devices on at most two nodes, or on every node. */
  spread: 'two' | 'every'
  /** What the relay nodes sustain, with one core each. */
  relayCeiling: number
  /** What one core of PostgreSQL sustains. */
  postgresCeiling: number
  /** The lower of the two. */
  updatesPerSecond: number
  limitedBy: 'relay' | 'postgres'
  /** Cores of PostgreSQL busy at the relay's ceiling. */
  postgresCores: number
}

export class CapacityInputError extends Error {
  override name = 'CapacityInputError'
}

export function projectCapacity(inputs: CapacityInputs, nodeCounts: readonly number[]): CapacityProjection[] {
  for (const [field, value] of Object.entries(inputs)) {
    if (!(Number.isFinite(value) && value > 0)) throw new CapacityInputError(`capacity input ${field} must be a positive number of ms, not ${value}`)
  }
  const postgresCeiling = 1000 / inputs.postgresMs
  const projections: CapacityProjection[] = []
  for (const nodes of nodeCounts) {
    if (!(Number.isSafeInteger(nodes) && nodes >= 1)) throw new CapacityInputError(`node count must be a positive integer, not ${nodes}`)
    const spreads: CapacityProjection['spread'][] = nodes <= 2 ? ['two'] : ['two', 'every']
    for (const spread of spreads) {
      const k = nodes === 1 ? 1 : spread === 'two' ? 2 : nodes
      const perUpdateMs = nodes === 1 ? inputs.singleNodeMs : inputs.writingNodeMs + (k - 1) * inputs.otherNodeMs
      const relayCeiling = (nodes * 1000) / perUpdateMs
      const limitedBy = relayCeiling <= postgresCeiling ? 'relay' : 'postgres'
      projections.push({
        nodes,
        spread,
        relayCeiling,
        postgresCeiling,
        updatesPerSecond: Math.min(relayCeiling, postgresCeiling),
        limitedBy,
        postgresCores: (relayCeiling * inputs.postgresMs) / 1000,
      })
    }
  }
  return projections
}
