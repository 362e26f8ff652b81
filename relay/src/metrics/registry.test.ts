import { describe, expect, it } from 'vitest'
import { MetricsRegistry } from './registry'

describe('MetricsRegistry', () => {
  it('renders counters and gauges with labels in the text format', () => {
    const registry = new MetricsRegistry()
    const frames = registry.counter('frames_total', 'Frames.')
    const open = registry.gauge('open', 'Open sockets.')
    frames.inc({ reason: 'bad_frame' })
    frames.inc({ reason: 'bad_frame' }, 2)
    open.inc()
    open.inc()
    open.dec()
    expect(registry.render()).toBe(
      [
        '# HELP frames_total Frames.',
        '# TYPE frames_total counter',
        'frames_total{reason="bad_frame"} 3',
        '# HELP open Open sockets.',
        '# TYPE open gauge',
        'open 1',
        '',
      ].join('\n'),
    )
  })

  it('renders a histogram as cumulative buckets, sum and count', () => {
    const registry = new MetricsRegistry()
    const lag = registry.histogram('lag_seconds', 'Lag.', [0.01, 0.1])
    lag.observe(0.005)
    lag.observe(0.05)
    lag.observe(0.1)
    lag.observe(3)
    expect(registry.render()).toBe(
      [
        '# HELP lag_seconds Lag.',
        '# TYPE lag_seconds histogram',
        'lag_seconds_bucket{le="0.01"} 1',
        'lag_seconds_bucket{le="0.1"} 3',
        'lag_seconds_bucket{le="+Inf"} 4',
        'lag_seconds_sum 3.155',
        'lag_seconds_count 4',
        '',
      ].join('\n'),
    )
    expect(registry.histogramCount('lag_seconds')).toBe(4)
  })

  it('escapes label values', () => {
    const registry = new MetricsRegistry()
    registry.counter('c', 'C.').inc({ l: 'a"b\\c\nd' })
    expect(registry.render()).toContain('c{l="a\\"b\\\\c\\nd"} 1')
  })

  it('treats label order as irrelevant', () => {
    const registry = new MetricsRegistry()
    const counter = registry.counter('c', 'C.')
    counter.inc({ a: '1', b: '2' })
    counter.inc({ b: '2', a: '1' })
    expect(registry.value('c', { a: '1', b: '2' })).toBe(2)
  })

  it.each([
    ['a counter decreasing', (r: MetricsRegistry) => r.counter('c', 'C.').inc({}, -1)],
    ['a duplicate name', (r: MetricsRegistry) => (r.counter('c', 'C.'), r.gauge('c', 'again'))],
    ['an invalid name', (r: MetricsRegistry) => r.counter('bad-name', 'C.')],
    ['histogram bounds out of order', (r: MetricsRegistry) => r.histogram('h', 'H.', [1, 0.5])],
  ])('refuses %s', (_label, act) => {
    expect(() => act(new MetricsRegistry())).toThrow(RangeError)
  })
})
