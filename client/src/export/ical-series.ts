/**
 * How a series goes into a calendar file: as one VEVENT with RRULE and EXDATE while the model still
 * holds it as one series, and its changed occurrences as events of their own.
 *
 * The series record says what was created; its occurrences (appointments with `seriesId`) are the
 * truth since (shared/src/model/series.ts). The rule's slots are expanded again; a slot whose
 * occurrence is still exactly what the series made (same start, length, practitioner, patient,
 * kind and place, not cancelled, not deleted, not moved away) is covered by the RRULE; every other
 * slot is an EXDATE; an occurrence that was changed (moved to another time, given another length…)
 * is written as an event of its own. A calendar that reads the file thus shows exactly the
 * appointments the agenda shows, and still shows a series as a series.
 *
 * DTSTART is the first slot (not the series' first start, which is not an occurrence when it falls
 * off the rule's days: RFC 5545 leaves such a recurrence set undefined) and COUNT the number of
 * slots from there, so UNTIL's UTC-or-floating question (§3.3.10) never arises.
 */
import type { Appointment } from '../../../shared/src/model'
import { ValidationError } from '../../../shared/src/model/validation'
import { expandSeries, parseRRule, RRuleSyntaxError, type Series } from '../../../shared/src/model/series'

export interface SeriesPlan {
  /** The series as a rule; null when no occurrence is left as the series made it. */
  readonly rule: { readonly start: string; readonly rrule: string; readonly exdates: readonly string[] } | null
  /** Occurrences to write as events of their own (changed ones), in start order. */
  readonly singles: readonly Appointment[]
}

/** Whether an occurrence is still what its series made at `slot`. */
function asMade(series: Series, a: Appointment): boolean {
  return (
    a.deletedAt === undefined &&
    a.movedTo === undefined &&
    a.status !== 'cancelled' &&
    a.durationMin === series.durationMin &&
    a.timeZone === series.timeZone &&
    a.practitionerId === series.practitionerId &&
    a.patientId === series.patientId &&
    a.kindId === series.kindId &&
    a.place === series.place
  )
}

/**
 * `occurrences`: the series' live, not cancelled appointments (what a calendar must show). A rule
 * this version cannot read writes every occurrence as its own event.
 */
export function planSeries(series: Series, occurrences: readonly Appointment[]): SeriesPlan {
  const sorted = [...occurrences].sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id))
  let slots: string[]
  let rule: ReturnType<typeof parseRRule>
  try {
    rule = parseRRule(series.rule)
    slots = expandSeries(rule, series.firstStart)
  } catch (error) {
    // A rule from a newer version, or a record that fails validation: no RRULE, nothing lost.
    if (error instanceof RRuleSyntaxError || error instanceof ValidationError) return { rule: null, singles: sorted }
    throw error
  }
  const slotSet = new Set(slots)
  const bySlot = new Map<string, Appointment>()
  const singles: Appointment[] = []
  for (const a of sorted) {
    if (asMade(series, a) && slotSet.has(a.start) && !bySlot.has(a.start)) bySlot.set(a.start, a)
    else singles.push(a)
  }
  if (bySlot.size === 0) return { rule: null, singles }
  const rrule = `FREQ=WEEKLY;INTERVAL=${rule.interval};BYDAY=${rule.byDay.join(',')};WKST=MO;COUNT=${slots.length}`
  return {
    rule: { start: slots[0]!, rrule, exdates: slots.filter((slot) => !bySlot.has(slot)) },
    singles,
  }
}
