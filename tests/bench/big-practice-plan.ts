/**
 * What the big practice's pages must show (big-practice-browser.ts), from the plan the seeder wrote
 * (the generator is deterministic for a seed, sizes and today; record ids are not, so a patient is
 * found by the name the list shows).
 */
import { addDays, monthOf, startOfWeek } from '../../shared/src/model/dates'
import { comparePatients, patientDisplayName } from '../../shared/src/model/patients'
import type { Patient } from '../../shared/src/model'
import type { BigPracticeTarget } from './big-practice-browser'
import type { BigPracticeSize } from './big-practice-data'
import { demoSpec, planPractice } from './generate'

export type PlannedTarget = Omit<BigPracticeTarget, 'appUrl' | 'adminCode' | 'rooms'>

export class BigPracticePlanError extends Error {
  override name = 'BigPracticePlanError'
}

export function plannedTarget(size: BigPracticeSize, today: string): PlannedTarget {
  const plan = planPractice(demoSpec(today, { seed: size.seed, practitioners: size.practitioners, patients: size.patients, months: size.months }))
  const perDay = new Map<string, number>()
  for (const days of plan.agenda.values()) {
    for (const day of days) for (const a of day) perDay.set(a.start.slice(0, 10), (perDay.get(a.start.slice(0, 10)) ?? 0) + 1)
  }
  const weekOf = (day: string) => {
    const monday = startOfWeek(day)
    let n = 0
    for (let i = 0; i < 7; i++) n += perDay.get(addDays(monday, i)) ?? 0
    return n
  }
  let busyDay = today
  for (let i = 0; (perDay.get(busyDay) ?? 0) === 0; i++) {
    if (i > 14) throw new BigPracticePlanError(`No appointment in the two weeks from ${today}: the plan has no busy day to open`)
    busyDay = addDays(busyDay, 1)
  }
  const busyMonth = monthOf(busyDay)
  const busyMonthDays = [...perDay.keys()].filter((day) => monthOf(day) === busyMonth).length
  // The list's order, by the list's own comparison; ids stand in for the model's (unknown here).
  const patients = plan.patients.map((p, i) => ({ ...p, id: String(i).padStart(6, '0'), archived: false }) as unknown as Patient).sort(comparePatients)
  const middle = patients[Math.floor(patients.length / 2)]
  if (!middle) throw new BigPracticePlanError('The plan has no patient to search for')
  return {
    practitioners: size.practitioners,
    weekAppointments: weekOf(today),
    busyDay,
    busyDayAppointments: perDay.get(busyDay)!,
    busyWeekAppointments: weekOf(busyDay),
    busyMonthDays,
    searchName: patientDisplayName(middle),
  }
}
