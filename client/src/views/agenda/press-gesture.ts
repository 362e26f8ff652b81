/**
 * What a pointer pressed on an appointment block means, as an explicit state machine. The touch
 * model of the calendars people know:
 *
 *   mouse, pen   down ─ moves past DRAG_THRESHOLD_PX ─▶ dragging          (direct drag)
 *   finger       down ─▶ pressing ─ LONG_PRESS_MS still ─▶ lifted ─ moves ─▶ dragging
 *                            └─ moves past LONG_PRESS_SLOP_PX ─▶ scrolling (the grid scrolls; the
 *                                                                          block never moves)
 *
 * A finger that lifts before the long press is a tap (the block opens). Only `dragging` changes
 * the appointment, on release. The view keeps the timer and the DOM; this module only decides.
 */
export const LONG_PRESS_MS = 480
/** How far a finger may wander during a long press and still be "still" (px). */
export const LONG_PRESS_SLOP_PX = 8
/** A mouse or pen that moved less than this (px) clicked rather than dragged. */
export const DRAG_THRESHOLD_PX = 6

export type PointerKind = 'mouse' | 'pen' | 'touch'

export type PressState =
  | { readonly phase: 'idle' }
  /** A finger is down, waiting for the long press. */
  | { readonly phase: 'pressing'; readonly x: number; readonly y: number }
  /** A mouse or pen is down and has not moved enough to drag yet. */
  | { readonly phase: 'armed'; readonly x: number; readonly y: number }
  /** The long press happened: the block is lifted, and follows the finger from here. */
  | { readonly phase: 'lifted'; readonly x: number; readonly y: number }
  | { readonly phase: 'dragging'; readonly x: number; readonly y: number }
  /** The finger moved before the long press: the gesture belongs to the scroll. */
  | { readonly phase: 'scrolling' }

export type PressEvent =
  | { readonly type: 'down'; readonly pointer: PointerKind; readonly x: number; readonly y: number }
  | { readonly type: 'move'; readonly x: number; readonly y: number }
  | { readonly type: 'longPress' }
  | { readonly type: 'up' }
  | { readonly type: 'cancel' }

export const IDLE: PressState = { phase: 'idle' }

/** The next state. `up` and `cancel` always end in idle; the caller reads what the state was. */
export function nextPress(state: PressState, event: PressEvent): PressState {
  switch (event.type) {
    case 'down':
      if (state.phase !== 'idle') return state
      return event.pointer === 'touch' ? { phase: 'pressing', x: event.x, y: event.y } : { phase: 'armed', x: event.x, y: event.y }
    case 'move':
      switch (state.phase) {
        case 'pressing':
          return Math.hypot(event.x - state.x, event.y - state.y) > LONG_PRESS_SLOP_PX ? { phase: 'scrolling' } : state
        case 'armed':
          return Math.hypot(event.x - state.x, event.y - state.y) >= DRAG_THRESHOLD_PX ? { phase: 'dragging', x: state.x, y: state.y } : state
        case 'lifted':
          return { phase: 'dragging', x: state.x, y: state.y }
        default:
          return state
      }
    case 'longPress':
      return state.phase === 'pressing' ? { phase: 'lifted', x: state.x, y: state.y } : state
    case 'up':
    case 'cancel':
      return IDLE
  }
}

/** Whether the block holds the gesture (the page must not scroll under it). */
export function holdsGesture(state: PressState): boolean {
  return state.phase === 'lifted' || state.phase === 'dragging'
}
