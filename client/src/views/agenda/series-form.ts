/**
 * The editor's repeat fields → a series rule the model accepts, or errors per field. Weekdays are
 * checkboxes (`byDay`, several values), the end is a count of sessions or a last date.
 */
import { ValidationError, validateSeriesRule } from '../../../../shared/src/model'
import type { SeriesRule } from '../../../../shared/src/model'
import { fieldsByPath, placeIssues } from '../form/field-errors'
import type { FieldErrors } from '../form/field-errors'

export const SERIES_FIELDS = ['byDay', 'interval', 'count', 'until'] as const
export type SeriesField = (typeof SERIES_FIELDS)[number]
const fieldOf = fieldsByPath<SeriesField>(SERIES_FIELDS)

export type SeriesEnd = 'count' | 'until'

type Checked = { ok: true; rule: SeriesRule } | { ok: false; errors: FieldErrors<SeriesField> }

function numberOrText(text: string | undefined): number | string | undefined {
  const trimmed = (text ?? '').trim()
  if (trimmed === '') return undefined
  const n = Number(trimmed)
  return Number.isFinite(n) ? n : trimmed
}

export function checkSeriesForm(
  values: { byDay: readonly string[]; interval?: string; count?: string; until?: string; end: SeriesEnd },
  firstStart: string,
): Checked {
  const input = {
    freq: 'WEEKLY',
    byDay: values.byDay,
    interval: numberOrText(values.interval) ?? 1,
    count: values.end === 'count' ? numberOrText(values.count) : undefined,
    until: values.end === 'until' ? values.until : undefined,
  }
  try {
    return { ok: true, rule: validateSeriesRule(input, firstStart) }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    const { fields } = placeIssues(error.issues, fieldOf)
    if (fields.interval === 'invalid_type') fields.interval = 'not_integer'
    if (fields.count === 'invalid_type') fields.count = 'not_integer'
    return { ok: false, errors: fields }
  }
}
