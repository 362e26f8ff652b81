/**
 * The raw-field test listAppointments runs before validating a record. A busy month doc holds
 * thousands of appointments and a week view keeps a quarter of them at most; validating only the
 * ones that can be kept cuts listing a week by that much. The test drops a record only when a raw
 * value is of the type the schema requires and already rules the record out; any other value (a
 * start that is not a string, a deletedAt that is not a number) keeps it, so validation reports it.
 * The schema applies no transform to these fields, so a valid record's raw value is the value the
 * full filter sees afterwards.
 */
import type * as Y from 'yjs'
import type { RawPrefilter } from './records'

export type AppointmentFilter = {
  /** Only appointments starting on this local date. */
  day?: string
  /** Inclusive range of local start dates, for week views. */
  from?: string
  to?: string
  practitionerId?: string
  patientId?: string
  includeDeleted?: boolean
}

// 'YYYY-MM-DDTHH:MM', the shape whose first ten characters are a date to compare.
const START_SHAPE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/

/** The records that can match `filter`, judged on their raw fields; true when unsure. */
export function appointmentPrefilter(filter: AppointmentFilter): RawPrefilter {
  return (record: Y.Map<unknown>) => {
    if (!filter.includeDeleted && typeof record.get('deletedAt') === 'number') return false
    const start: unknown = record.get('start')
    // A start of another shape is malformed: kept, so that validation reports it.
    if (typeof start === 'string' && START_SHAPE.test(start)) {
      const day = start.slice(0, 10)
      if (filter.day !== undefined && day !== filter.day) return false
      if (filter.from !== undefined && day < filter.from) return false
      if (filter.to !== undefined && day > filter.to) return false
    }
    if (filter.practitionerId !== undefined) {
      const practitionerId: unknown = record.get('practitionerId')
      if (typeof practitionerId === 'string' && practitionerId !== filter.practitionerId) return false
    }
    if (filter.patientId !== undefined) {
      const patientId: unknown = record.get('patientId')
      // Absent means no patient: such a record cannot match a patient's list.
      if (patientId === undefined || (typeof patientId === 'string' && patientId !== filter.patientId)) return false
    }
    return true
  }
}

