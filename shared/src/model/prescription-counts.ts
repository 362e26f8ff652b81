/**
 * Sessions of an ordonnance, counted from the agenda's appointments linked to it
 * (`appointment.prescriptionId`):
 *
 *   done      fulfilled appointments (the session took place)
 *   planned   booked or arrived appointments that have not started yet (now, in their time zone)
 *   remaining prescribed − done, never below 0; absent when the ordonnance states no number
 *   overdue   booked or arrived appointments whose start has passed: nobody marked them done or
 *             missed; they count neither as done nor as planned until someone does
 *   cancelled, noshow  shown for information: a cancelled or missed session was not performed,
 *             so it does not use up the ordonnance (it cannot be billed against it)
 *
 * Deleted appointments (including the copies left behind by a move to another month) count for
 * nothing. Warnings: `exhausted` once done ≥ prescribed, `expired` once today is more than one
 * year after the ordonnance's date. Time comes from the injected clock.
 *
 * The appointments live in `agenda/YYYY-MM` docs; `prescriptionAgendaMonths` says which months a
 * screen opens to count them: from the ordonnance's month to today's month + 3, and never more
 * than 15 months after the ordonnance (a session booked further ahead is not counted as planned).
 */
import type { Clock } from './actor'
import { monthOf, nowIn } from './dates'
import type { Appointment, Prescription } from './record-schemas'

export interface PrescriptionCounts {
  readonly prescribed: number | undefined
  readonly done: number
  readonly planned: number
  readonly remaining: number | undefined
  readonly overdue: number
  readonly cancelled: number
  readonly noshow: number
  readonly exhausted: boolean
  readonly expired: boolean
}

/** Months after today's that a prescription screen opens to find planned sessions. */
export const PRESCRIPTION_MONTHS_AHEAD = 3
/** Months after the ordonnance's own month beyond which no session is looked for. */
export const PRESCRIPTION_MONTHS_SPAN = 15

type CountedAppointment = Pick<Appointment, 'start' | 'timeZone' | 'status' | 'prescriptionId' | 'deletedAt'>
type CountedPrescription = Pick<Prescription, 'id' | 'date' | 'sessionsPrescribed'>

export function countPrescriptionSessions(
  prescription: CountedPrescription,
  appointments: readonly CountedAppointment[],
  clock: Clock,
  practiceTimeZone: string,
): PrescriptionCounts {
  let done = 0
  let planned = 0
  let overdue = 0
  let cancelled = 0
  let noshow = 0
  const nowByZone = new Map<string, string>()
  const nowAt = (zone: string): string => {
    let now = nowByZone.get(zone)
    if (now === undefined) {
      now = safeNowIn(zone, practiceTimeZone, clock)
      nowByZone.set(zone, now)
    }
    return now
  }
  for (const a of appointments) {
    if (a.prescriptionId !== prescription.id || a.deletedAt !== undefined) continue
    switch (a.status) {
      case 'fulfilled':
        done += 1
        break
      case 'cancelled':
        cancelled += 1
        break
      case 'noshow':
        noshow += 1
        break
      case 'booked':
      case 'arrived':
        if (a.start >= nowAt(a.timeZone)) planned += 1
        else overdue += 1
        break
    }
  }
  const prescribed = prescription.sessionsPrescribed
  const today = nowAt(practiceTimeZone).slice(0, 10)
  return {
    prescribed,
    done,
    planned,
    remaining: prescribed === undefined ? undefined : Math.max(0, prescribed - done),
    overdue,
    cancelled,
    noshow,
    exhausted: prescribed !== undefined && done >= prescribed,
    expired: today > oneYearAfter(prescription.date),
  }
}

/** 'YYYY-MM-DD' one year later, as a string that compares correctly (29 Feb → '…-02-29'). */
function oneYearAfter(localDate: string): string {
  return `${String(Number(localDate.slice(0, 4)) + 1).padStart(4, '0')}${localDate.slice(4)}`
}

/** An appointment's zone from another device may be unknown here: count it in the practice's. */
function safeNowIn(zone: string, fallback: string, clock: Clock): string {
  try {
    return nowIn(zone, clock)
  } catch {
    return nowIn(fallback, clock)
  }
}

/** The agenda months (`YYYY-MM`) to open to count an ordonnance's sessions; see the module comment. */
export function prescriptionAgendaMonths(prescriptionDate: string, clock: Clock, timeZone: string): string[] {
  const first = monthOf(prescriptionDate)
  const ahead = addMonths(monthOf(nowIn(timeZone, clock)), PRESCRIPTION_MONTHS_AHEAD)
  const cap = addMonths(first, PRESCRIPTION_MONTHS_SPAN)
  const last = ahead < cap ? ahead : cap
  const months: string[] = []
  for (let m = first; m <= last; m = addMonths(m, 1)) months.push(m)
  return months
}

/** 'YYYY-MM' plus `count` months. */
function addMonths(month: string, count: number): string {
  const index = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + count
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`
}
