/**
 * The working-hours form boundary: per ISO weekday two periods (morning, afternoon), each a start
 * and an end ('HH:mm'); both left empty means not working then. Field names are
 * `<weekday>.<period>.<start|end>` ('1.0.start' = Monday morning start), which are also the
 * model's issue paths under `workingHours`, so an error lands on its own input.
 */
import { ISO_WEEKDAYS, runSchema, ValidationError, workingHoursSchema } from '../../../../shared/src/model'
import type { IsoWeekdayKey, WorkingHours, WorkingInterval } from '../../../../shared/src/model'
import type { FieldErrors } from '../form/field-errors'

/** Two periods a day in the form (the model allows up to four; more come from imports only). */
export const PERIODS = [0, 1] as const

export type WorkingHoursField = `${IsoWeekdayKey}.${0 | 1}.${'start' | 'end'}`

type Checked = { ok: true; hours: WorkingHours } | { ok: false; errors: FieldErrors<WorkingHoursField> }

export function checkWorkingHoursForm(values: Record<string, string>): Checked {
  const input: Record<string, WorkingInterval[]> = {}
  // Where each period landed in its day's list, to point issues back at the form's own fields.
  const positions = new Map<string, number>()
  for (const day of ISO_WEEKDAYS) {
    input[day] = []
    for (const period of PERIODS) {
      const start = (values[`${day}.${period}.start`] ?? '').trim()
      const end = (values[`${day}.${period}.end`] ?? '').trim()
      if (start === '' && end === '') continue
      positions.set(`${day}.${input[day].length}`, period)
      input[day].push({ start, end })
    }
  }
  try {
    return { ok: true, hours: runSchema(workingHoursSchema, input, 'working hours') }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    const errors: FieldErrors<WorkingHoursField> = {}
    for (const issue of error.issues) {
      const [day, index, part] = issue.path.split('.')
      const period = positions.get(`${day}.${index}`)
      if (period === undefined || (part !== 'start' && part !== 'end')) continue
      const field = `${day}.${period}.${part}` as WorkingHoursField
      errors[field] ??= issue.code
    }
    return { ok: false, errors }
  }
}

/** The form's initial values for stored hours (the first two periods of each day). */
export function workingHoursValues(hours: WorkingHours): Record<WorkingHoursField, string> {
  const values = {} as Record<WorkingHoursField, string>
  for (const day of ISO_WEEKDAYS) {
    for (const period of PERIODS) {
      const interval = hours[day][period]
      values[`${day}.${period}.start`] = interval?.start ?? ''
      values[`${day}.${period}.end`] = interval?.end ?? ''
    }
  }
  return values
}
