/**
 * Bounds what one connection may announce through awareness. An awareness update is
 *
 *   [varuint n] n × ([varuint clientID][varuint clock][varString JSON state])
 *
 * A y-websocket client re-sends every awareness change it sees, its peers' included (the relay's
 * full state on connect, too), so counting every entry of an update would cut off devices in a
 * busy practice. What is bounded is what a connection *introduces*: client ids the room does not
 * know yet, on top of the ones this connection already controls, may not exceed
 * maxAwarenessEntries. Each entry's state is bounded by maxAwarenessBytes.
 */
import * as decoding from 'lib0/decoding'
import { FrameError } from './frame-error'

const utf8 = new TextEncoder()

export interface AwarenessEntry {
  clientId: number
  clock: number
  stateBytes: number
}

export function readAwarenessEntries(update: Uint8Array): AwarenessEntry[] {
  try {
    const decoder = decoding.createDecoder(update)
    const count = decoding.readVarUint(decoder)
    const entries: AwarenessEntry[] = []
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder)
      const clock = decoding.readVarUint(decoder)
      const state = decoding.readVarString(decoder)
      JSON.parse(state)
      entries.push({ clientId, clock, stateBytes: utf8.encode(state).byteLength })
    }
    if (decoding.hasContent(decoder)) throw new Error('trailing bytes')
    return entries
  } catch (error) {
    throw new FrameError(
      'BadFrame',
      'bad_frame',
      `malformed awareness update (${error instanceof Error ? error.message : 'unknown'})`,
    )
  }
}

export interface AwarenessLimits {
  maxAwarenessEntries: number
  maxAwarenessBytes: number
}

/**
 * @param known client ids the room currently holds a state or meta for
 * @param controlled client ids this connection introduced earlier
 */
export function checkAwarenessUpdate(
  update: Uint8Array,
  known: ReadonlySet<number> | ReadonlyMap<number, unknown>,
  controlled: ReadonlySet<number>,
  limits: AwarenessLimits,
): AwarenessEntry[] {
  const entries = readAwarenessEntries(update)
  const introduced = new Set(controlled)
  for (const entry of entries) {
    if (entry.stateBytes > limits.maxAwarenessBytes) {
      throw new FrameError(
        'UpdateTooLarge',
        'awareness_too_large',
        `awareness state of ${entry.stateBytes} bytes exceeds ${limits.maxAwarenessBytes}`,
      )
    }
    if (!known.has(entry.clientId)) introduced.add(entry.clientId)
  }
  if (introduced.size > limits.maxAwarenessEntries) {
    throw new FrameError(
      'UpdateTooLarge',
      'awareness_too_large',
      `a connection may announce at most ${limits.maxAwarenessEntries} awareness clients`,
    )
  }
  return entries
}
