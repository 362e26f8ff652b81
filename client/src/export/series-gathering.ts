/**
 * The occurrences of each series, gathered while the agenda is read month by month (oldest
 * first), so the series can go into its calendar as one RRULE (ical-series.ts). A series is
 * written as soon as the month of its last slot has been read — not at the end of the agenda: a
 * ten-year practice's series would otherwise keep every one of their occurrences in memory
 * until the last month.
 *
 * An occurrence read after its series was written (moved past the series' last slot: it sits on
 * no slot) is given back to be written as an event of its own, which is what `planSeries` would
 * have made of it. A series whose rule this version cannot read is kept until `finish`.
 */
import type { Appointment } from '../../../shared/src/model'
import { expandSeries, parseRRule, RRuleSyntaxError, type Series } from '../../../shared/src/model/series'
import { ValidationError } from '../../../shared/src/model/validation'

/** 'YYYY-MM' of a series' last slot; undefined when its rule cannot be read. */
function lastMonthOf(series: Series): string | undefined {
  try {
    return expandSeries(parseRRule(series.rule), series.firstStart).at(-1)?.slice(0, 7)
  } catch (error) {
    if (error instanceof RRuleSyntaxError || error instanceof ValidationError) return undefined
    throw error
  }
}

export class SeriesGathering {
  private readonly gathered = new Map<string, Appointment[]>()
  private readonly written = new Set<string>()
  private readonly lastMonths = new Map<string, string | undefined>()

  constructor(
    private readonly series: ReadonlyMap<string, Series>,
    /** Writes one series with its occurrences (live, not cancelled), once. */
    private readonly write: (series: Series, occurrences: Appointment[]) => void,
  ) {}

  /** Gathers an occurrence of a known series not written yet; false: write it as an event of its own. */
  add(a: Appointment): boolean {
    if (a.seriesId === undefined || !this.series.has(a.seriesId) || this.written.has(a.seriesId)) return false
    const list = this.gathered.get(a.seriesId)
    if (list) list.push(a)
    else this.gathered.set(a.seriesId, [a])
    return true
  }

  /** Every month up to `month` has been read: writes the series whose slots all lie there. */
  monthRead(month: string): void {
    for (const id of [...this.gathered.keys()]) {
      if (!this.lastMonths.has(id)) this.lastMonths.set(id, lastMonthOf(this.series.get(id)!))
      const last = this.lastMonths.get(id)
      if (last !== undefined && last <= month) this.flush(id)
    }
  }

  /** The agenda is read: writes every series still gathered. */
  finish(): void {
    for (const id of [...this.gathered.keys()]) this.flush(id)
  }

  private flush(id: string): void {
    const occurrences = this.gathered.get(id)!
    this.gathered.delete(id)
    this.written.add(id)
    this.write(this.series.get(id)!, occurrences)
  }
}
