/**
 * A small Prometheus registry: counters and gauges with labels, rendered in the text exposition
 * format (version 0.0.4):
 *
 *   # HELP tournee_frames_received_total Frames received on sync sockets.
 *   # TYPE tournee_frames_received_total counter
 *   tournee_frames_received_total 42
 *   tournee_frames_rejected_total{reason="bad_frame"} 1
 *
 * Hand-written because the relay needs a handful of series, not a client library.
 */

export type Labels = Record<string, string>
type Kind = 'counter' | 'gauge'

export interface Metric {
  /** Adds `by` (default 1) to the series with these labels. Counters refuse negative amounts. */
  inc(labels?: Labels, by?: number): void
}
export interface Gauge extends Metric {
  dec(labels?: Labels, by?: number): void
  set(value: number, labels?: Labels): void
}

interface Family {
  name: string
  help: string
  kind: Kind
  series: Map<string, { labels: Labels; value: number }>
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>()

  counter(name: string, help: string): Metric {
    const family = this.register(name, help, 'counter')
    return {
      inc: (labels = {}, by = 1) => {
        if (by < 0) throw new RangeError(`counter ${name} cannot decrease`)
        this.add(family, labels, by)
      },
    }
  }

  gauge(name: string, help: string): Gauge {
    const family = this.register(name, help, 'gauge')
    return {
      inc: (labels = {}, by = 1) => this.add(family, labels, by),
      dec: (labels = {}, by = 1) => this.add(family, labels, -by),
      set: (value, labels = {}) => {
        this.series(family, labels).value = value
      },
    }
  }

  /** Current value of one series, for tests and for the relay's own decisions. */
  value(name: string, labels: Labels = {}): number {
    return this.families.get(name)?.series.get(seriesKey(labels))?.value ?? 0
  }

  render(): string {
    const lines: string[] = []
    for (const family of this.families.values()) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.kind}`)
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
    const key = seriesKey(labels)
    let entry = family.series.get(key)
    if (!entry) {
      entry = { labels: { ...labels }, value: 0 }
      family.series.set(key, entry)
    }
    return entry
  }
}

function seriesKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))
}

function renderLabels(labels: Labels): string {
  const entries = Object.entries(labels)
  if (entries.length === 0) return ''
  const body = entries
    .map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
    .join(',')
  return `{${body}}`
}
