/**
 * The life of one room on this device, as one explicit state machine: its states as a union and
 * every transition in `nextPhase`, tested case by case without a network (room-lifecycle.test.ts).
 *
 *   closed ──open──▶ loading ──loaded──▶ syncing ──synced──▶ live
 *                       │                  ▲  │                 │
 *                  load-failed        link events          link-lost, defer, disconnect
 *                       ▼                  │  ▼                 ▼
 *                     closed             syncing ◀──────────────┘
 *   syncing | live | refused ──unwant──▶ idle ──released──▶ released
 *   syncing | live ──refused──▶ refused ──retry──▶ syncing
 *
 * `syncing` says where its link stands:
 *   deferred      loaded, and waiting its turn to connect (a new device's main room waits for the
 *                 digest; a room just loaded waits for the pool's word): works from what it holds
 *   disconnected  not to connect: the practice is offline on purpose (the person, the browser)
 *   connecting    a socket is opening
 *   exchanging    the socket is open, the state-vector handshake is under way
 *   offline       the last socket failed or dropped: a retry is scheduled (backoff with jitter)
 * `idle` is the way out: the socket is closed and the room flushes and closes its database; it is
 * never reused (wanting it again waits for `released`, then loads a new one).
 */
import type { RefusalReason } from '../errors'

export type LinkState = 'deferred' | 'disconnected' | 'connecting' | 'exchanging' | 'offline'

export type RoomPhase =
  | { readonly kind: 'closed' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'syncing'; readonly link: LinkState }
  | { readonly kind: 'live' }
  | { readonly kind: 'refused'; readonly reason: RefusalReason }
  | { readonly kind: 'idle' }
  | { readonly kind: 'released' }

export type RoomEvent =
  | { readonly type: 'open' }
  | { readonly type: 'loaded' }
  | { readonly type: 'load-failed' }
  /** Not to connect yet (waiting its turn): the socket, if any, is closed. */
  | { readonly type: 'defer' }
  /** Not to connect while the practice is offline on purpose: the socket, if any, is closed. */
  | { readonly type: 'disconnect' }
  | { readonly type: 'connecting' }
  | { readonly type: 'socket-open' }
  | { readonly type: 'synced' }
  /** The socket closed or never opened, for a reason a retry may fix. */
  | { readonly type: 'link-lost' }
  | { readonly type: 'refused'; readonly reason: RefusalReason }
  /** Someone asked again (« Synchroniser maintenant », a reconnection): a refusal may be retried. */
  | { readonly type: 'retry' }
  | { readonly type: 'unwant' }
  | { readonly type: 'released' }

export type RoomPhaseKind = RoomPhase['kind']

export class LifecycleError extends Error {
  override name = 'LifecycleError'
}

export const CLOSED: RoomPhase = { kind: 'closed' }

const syncing = (link: LinkState): RoomPhase => ({ kind: 'syncing', link })

/**
 * The phase after `event`, or a LifecycleError for an event that cannot happen in `phase` (a
 * bug: the caller reports it, and the room stays where it was). Events that change nothing (a
 * second `defer`) return the same phase object.
 */
export function nextPhase(phase: RoomPhase, event: RoomEvent): RoomPhase | LifecycleError {
  switch (phase.kind) {
    case 'closed':
      return event.type === 'open' ? { kind: 'loading' } : impossible(phase, event)
    case 'loading':
      if (event.type === 'loaded') return syncing('deferred')
      if (event.type === 'load-failed') return CLOSED
      return impossible(phase, event)
    case 'syncing':
    case 'live':
      switch (event.type) {
        case 'defer':
        case 'disconnect': {
          const link: LinkState = event.type === 'defer' ? 'deferred' : 'disconnected'
          return phase.kind === 'syncing' && phase.link === link ? phase : syncing(link)
        }
        case 'connecting':
          return syncing('connecting')
        case 'socket-open':
          return syncing('exchanging')
        case 'synced':
          return { kind: 'live' }
        case 'link-lost':
          // A socket the room closed itself (deferred, disconnected) leaves it as it was told.
          return phase.kind === 'syncing' && (phase.link === 'deferred' || phase.link === 'disconnected') ? phase : syncing('offline')
        case 'refused':
          return { kind: 'refused', reason: event.reason }
        case 'retry':
          return phase
        case 'unwant':
          return { kind: 'idle' }
        default:
          return impossible(phase, event)
      }
    case 'refused':
      if (event.type === 'retry') return syncing('deferred')
      if (event.type === 'unwant') return { kind: 'idle' }
      // A late close of the refused socket, or the pool's word: the refusal stands until a retry.
      if (event.type === 'link-lost' || event.type === 'defer' || event.type === 'disconnect' || event.type === 'refused') return phase
      return impossible(phase, event)
    case 'idle':
      if (event.type === 'released') return { kind: 'released' }
      // The socket's own close arrives after the room let it go.
      if (event.type === 'link-lost' || event.type === 'defer' || event.type === 'disconnect' || event.type === 'unwant') return phase
      return impossible(phase, event)
    case 'released':
      return impossible(phase, event)
  }
}

function impossible(phase: RoomPhase, event: RoomEvent): LifecycleError {
  return new LifecycleError(`A room cannot take '${event.type}' while ${phase.kind}`)
}

/** Whether the room is in memory and usable (its envelope open). */
export function isLoaded(phase: RoomPhase): boolean {
  return phase.kind === 'syncing' || phase.kind === 'live' || phase.kind === 'refused'
}

/**
 * Whether the relay's answer for this room is in (live), or cannot come now (offline, refused,
 * the practice disconnected): what the start-up waits for before lower priorities go.
 */
export function isSettled(phase: RoomPhase): boolean {
  return phase.kind === 'live' || phase.kind === 'refused' || (phase.kind === 'syncing' && (phase.link === 'offline' || phase.link === 'disconnected'))
}
