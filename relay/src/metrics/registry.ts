/**
 * A small Prometheus registry: counters, gauges (with labels) and histograms, rendered in the text
 * exposition format (version 0.0.4):
 *
 *   # HELP tournee_frames_received_total Frames received on sync sockets.
 *   # TYPE tournee_frames_received_total counter
 *   tournee_frames_received_total 42
 *   tournee_frames_rejected_total{reason="bad_frame"} 1
 *   # TYPE tournee_fanout_lag_seconds histogram
 *   tournee_fanout_lag_seconds_bucket{le="0.005"} 3
 *   tournee_fanout_lag_seconds_bucket{le="+Inf"} 4
 *   tournee_fanout_lag_seconds_sum 0.031
 *   tournee_fanout_lag_seconds_count 4
 *
 * Hand-written because the relay needs a handful of series, not a client library.
 */

export type Labels = Record<string, string>
type Kind = 'counter' | 'gauge' | 'histogram'

export interface Metric {
  /** Adds `by` (default 1) to the series with these labels. Counters refuse negative amounts. */
  inc(labels?: Labels, by?: number): void
}
export interface Gauge extends Metric {
  dec(labels?: Labels, by?: number): void
  set(value: number, labels?: Labels): void
}

export interface Histogram {
  /** Counts one observation (in the histogram's unit) in every bucket whose bound it does not pass. */
  observe(value: number): void
}

interface HistogramState {
  bounds: readonly number[]
  /** Per bound, observations ≤ it (cumulative, as rendered). */
  counts: number[]
  sum: number
  count: number
}

interface Family {
  name: string
  help: string
  kind: Kind
  series: Map<string, { labels: Labels; value: number }>
  /** The series without labels, once it exists. */
  unlabelled?: { labels: Labels; value: number }
  histogram?: HistogramState
}

const NO_LABELS: Labels = Object.freeze({})

function hasAnyKey(labels: Labels): boolean {
  for (const _ in labels) return true
  return false
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>()

  counter(name: string, help: string): Metric {
    const family = this.register(name, help, 'counter')
    return {
      inc: (labels = NO_LABELS, by = 1) => {
        if (by < 0) throw new RangeError(`counter ${name} cannot decrease`)
        this.add(family, labels, by)
      },
    }
  }

  gauge(name: string, help: string): Gauge {
    const family = this.register(name, help, 'gauge')
    return {
      inc: (labels = NO_LABELS, by = 1) => this.add(family, labels, by),
      dec: (labels = NO_LABELS, by = 1) => this.add(family, labels, -by),
      set: (value, labels = NO_LABELS) => {
        this.series(family, labels).value = value
      },
    }
  }

  /** A histogram without labels, its bucket bounds ascending. */
  histogram(name: string, help: string, bounds: readonly number[]): Histogram {
    if (bounds.length === 0 || bounds.some((bound, i) => i > 0 && bound <= bounds[i - 1]!)) {
      throw new RangeError(`histogram ${name} needs ascending bucket bounds`)
    }
    const family = this.register(name, help, 'histogram')
    const state: HistogramState = { bounds, counts: bounds.map(() => 0), sum: 0, count: 0 }
    family.histogram = state
    return {
      observe: (value) => {
        state.count++
        state.sum += value
        for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]!) state.counts[i]!++
      },
    }
  }

  /** Observations of a histogram so far, for tests. */
  histogramCount(name: string): number {
    return this.families.get(name)?.histogram?.count ?? 0
  }

  /** Current value of one series, for tests and for the relay's own decisions. */
  value(name: string, labels: Labels = NO_LABELS): number {
    return this.families.get(name)?.series.get(seriesKey(labels))?.value ?? 0
  }

  render(): string {
    const lines: string[] = []
    for (const family of this.families.values()) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.kind}`)
      if (family.histogram) {
        const { bounds, counts, sum, count } = family.histogram
        bounds.forEach((bound, i) => lines.push(`${family.name}_bucket{le="${bound}"} ${counts[i]}`))
        lines.push(`${family.name}_bucket{le="+Inf"} ${count}`, `${family.name}_sum ${sum}`, `${family.name}_count ${count}`)
        continue
      }
      if (family.series.size === 0) lines.push(`${family.name} 0`)
      for (const { labels, value } of family.series.values()) {
        lines.push(`${family.name}${renderLabels(labels)} ${value}`)
      }
    }
    return lines.join('\n') + '\n'
  }

  private register(name: string, help: string, kind: Kind): Family {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new RangeError(`invalid metric name ${name}`)
    if (this.families.has(name)) throw new RangeError(`metric ${name} registered twice`)
    const family: Family = { name, help, kind, series: new Map() }
    this.families.set(name, family)
    return family
  }

  private add(family: Family, labels: Labels, by: number): void {
    this.series(family, labels).value += by
  }

  private series(family: Family, labels: Labels): { labels: Labels; value: number } {
    // Most series have no labels, and some are counted on every update: their key is not built each time.
    if (labels === NO_LABELS || !hasAnyKey(labels)) return (family.unlabelled ??= this.entry(family, ''))
    return this.entry(family, seriesKey(labels), labels)
  }

  private entry(family: Family, key: string, labels: Labels = NO_LABELS): { labels: Labels; value: number } {
    let entry = family.series.get(key)
    if (!entry) {
      entry = { labels: { ...labels }, value: 0 }
      family.series.set(key, entry)
    }
    return entry
  }
}

/** One key per set of labels, whatever their order: names sorted, joined with separators no name or value of ours holds. */
function seriesKey(labels: Labels): string {
  const names = Object.keys(labels)
  if (names.length > 1) names.sort()
  let key = ''
  for (const name of names) key += `${name}\u0000${labels[name]}\u0001`
  return key
}

function renderLabels(labels: Labels): string {
  const entries = Object.entries(labels)
  if (entries.length === 0) return ''
  const body = entries
    .map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
    .join(',')
  return `{${body}}`
}
