import { describe, expect, it } from 'vitest'
import { CapacityInputError, projectCapacity } from './bench/fanout-capacity'

const inputs = { singleNodeMs: 1, writingNodeMs: 1.1, otherNodeMs: 0.4, postgresMs: 0.5 }

describe('projectCapacity', () => {
  it('charges one node its own cost, and N nodes the writer plus each other node holding the room', () => {
    const [one, two, fourOnTwo, fourOnEvery] = projectCapacity(inputs, [1, 2, 4])
    expect(one).toMatchObject({ nodes: 1, spread: 'two', relayCeiling: 1000, limitedBy: 'relay' })
    expect(two!.relayCeiling).toBeCloseTo(2000 / 1.5)
    expect(fourOnTwo).toMatchObject({ nodes: 4, spread: 'two' })
    expect(fourOnTwo!.relayCeiling).toBeCloseTo(4000 / 1.5)
    expect(fourOnEvery).toMatchObject({ nodes: 4, spread: 'every' })
    expect(fourOnEvery!.relayCeiling).toBeCloseTo(4000 / (1.1 + 3 * 0.4))
  })

  it('stops at what one core of PostgreSQL sustains, and says so', () => {
    const eight = projectCapacity(inputs, [8]).find((p) => p.spread === 'two')!
    expect(eight.relayCeiling).toBeCloseTo(8000 / 1.5)
    expect(eight).toMatchObject({ postgresCeiling: 2000, updatesPerSecond: 2000, limitedBy: 'postgres' })
    expect(eight.postgresCores).toBeCloseTo((8000 / 1.5) * 0.0005)
  })

  it.each([
    ['a zero cost', { ...inputs, otherNodeMs: 0 }, [2]],
    ['a cost that is not a number', { ...inputs, postgresMs: Number.NaN }, [2]],
    ['no node', inputs, [0]],
  ])('refuses %s with CapacityInputError', (_what, given, counts) => {
    expect(() => projectCapacity(given, counts)).toThrow(CapacityInputError)
  })
})
