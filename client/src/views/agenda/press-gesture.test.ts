import { describe, expect, it } from 'vitest'
import { DRAG_THRESHOLD_PX, IDLE, LONG_PRESS_SLOP_PX, holdsGesture, nextPress } from './press-gesture'
import type { PressEvent, PressState } from './press-gesture'

function run(events: readonly PressEvent[]): PressState[] {
  const states: PressState[] = []
  let state = IDLE
  for (const event of events) {
    state = nextPress(state, event)
    states.push(state)
  }
  return states
}

describe('a finger on a block', () => {
  it('that swipes scrolls: the block is never lifted, even if the long press time passes later', () => {
    const states = run([
      { type: 'down', pointer: 'touch', x: 100, y: 100 },
      { type: 'move', x: 100, y: 100 + LONG_PRESS_SLOP_PX + 1 },
      { type: 'longPress' },
      { type: 'move', x: 100, y: 350 },
    ])
    expect(states.map((s) => s.phase)).toEqual(['pressing', 'scrolling', 'scrolling', 'scrolling'])
    expect(states.some(holdsGesture)).toBe(false)
  })

  it('held still (a few px of tremor) is lifted, then drags', () => {
    const states = run([
      { type: 'down', pointer: 'touch', x: 100, y: 100 },
      { type: 'move', x: 103, y: 104 },
      { type: 'longPress' },
      { type: 'move', x: 103, y: 160 },
    ])
    expect(states.map((s) => s.phase)).toEqual(['pressing', 'pressing', 'lifted', 'dragging'])
    expect(states[3]).toEqual({ phase: 'dragging', x: 100, y: 100 })
    expect(holdsGesture(states[2]!)).toBe(true)
  })

  it('lifted before the long press is a tap, and up always ends the gesture', () => {
    expect(run([{ type: 'down', pointer: 'touch', x: 0, y: 0 }, { type: 'up' }]).map((s) => s.phase)).toEqual(['pressing', 'idle'])
    expect(nextPress({ phase: 'dragging', x: 0, y: 0 }, { type: 'cancel' })).toBe(IDLE)
  })
})

describe('a mouse or a pen', () => {
  it.each(['mouse', 'pen'] as const)('%s drags directly once it has moved the threshold', (pointer) => {
    const states = run([
      { type: 'down', pointer, x: 10, y: 10 },
      { type: 'move', x: 10, y: 10 + DRAG_THRESHOLD_PX - 1 },
      { type: 'move', x: 10, y: 10 + DRAG_THRESHOLD_PX },
    ])
    expect(states.map((s) => s.phase)).toEqual(['armed', 'armed', 'dragging'])
  })

  it('ignores a second pointer going down while one is held', () => {
    const held: PressState = { phase: 'dragging', x: 1, y: 1 }
    expect(nextPress(held, { type: 'down', pointer: 'touch', x: 5, y: 5 })).toBe(held)
  })
})
