/**
 * Screens of an open practice, addressed by the location hash so that reloading the app (or
 * going back) lands on the same screen:
 *
 *   #/agenda                       today's agenda (day view)
 *   #/agenda/2026-11-23            the agenda of a day (kept from the first version)
 *   #/agenda/jour/2026-11-23       the same, named
 *   #/agenda/semaine/2026-11-23    the week (Monday to Sunday) holding that day
 *   #/agenda/mois/2026-11-23       the month overview of November 2026, the 23rd remembered: the
 *                                  day the day and week views go back to
 *   #/agenda/mois/2026-11          the month overview (the 1st remembered)
 *   #/agenda/semaine               this week (same for jour, mois)
 *   #/patients             the patient list
 *   #/patients/<id>        one patient
 *   #/reglages             settings
 *   #/tournee              today's home visits of the practitioner using the device
 *   #/tournee/2026-11-23   the home visits of a day
 *   #/tournee/2026-11-23/<practitionerId>   … of another practitioner (an id, never a name)
 *   #/impression/jour/2026-11-23            the printable day (every practitioner shown)
 *   #/impression/tournee/2026-11-23/<practitionerId>   the printable round (feuille de route)
 *   #/rappels/2026-11-24   reminders of a day's appointments (tomorrow's, from the agenda)
 */
import { isLocalDate, isRecordId } from '../../../shared/src/model'

/** The agenda's views, by the French words of their routes. */
export const AGENDA_MODES = ['jour', 'semaine', 'mois'] as const
export type AgendaMode = (typeof AGENDA_MODES)[number]

function isAgendaMode(value: unknown): value is AgendaMode {
  return AGENDA_MODES.includes(value as AgendaMode)
}

export type Route =
  /** `date` null: today. In the month view, `date` is a day of the month: the one the other views show. */
  | { readonly view: 'agenda'; readonly mode: AgendaMode; readonly date: string | null }
  | { readonly view: 'patients' }
  | { readonly view: 'patient'; readonly patientId: string }
  | { readonly view: 'settings' }
  | { readonly view: 'tournee'; readonly date: string | null; readonly practitionerId: string | null }
  /** A printable page: the day of the agenda, or one practitioner's round. */
  | { readonly view: 'print'; readonly what: PrintWhat; readonly date: string; readonly practitionerId: string | null }
  | { readonly view: 'reminders'; readonly date: string }

export const PRINT_WHATS = ['jour', 'tournee'] as const
export type PrintWhat = (typeof PRINT_WHATS)[number]

export type Section = 'agenda' | 'patients' | 'settings' | 'tournee'

const DEFAULT_ROUTE: Route = { view: 'agenda', mode: 'jour', date: null }

function parseAgenda(second: string | undefined, third: string | undefined): Route {
  if (second === undefined) return DEFAULT_ROUTE
  if (isLocalDate(second)) return third === undefined ? { view: 'agenda', mode: 'jour', date: second } : DEFAULT_ROUTE
  if (!isAgendaMode(second)) return DEFAULT_ROUTE
  if (third === undefined) return { view: 'agenda', mode: second, date: null }
  // The month view also takes a month alone (its first day), as it was first written.
  const date = second === 'mois' && third.length === 7 ? `${third}-01` : third
  if (!isLocalDate(date)) return { view: 'agenda', mode: second, date: null }
  return { view: 'agenda', mode: second, date }
}

export function parseRoute(hash: string): Route {
  const [first = '', second, third, ...rest] = hash.replace(/^#\/?/, '').split('/')
  if (first === 'tournee') return parseTourneeRoute(second, third === undefined ? rest : [third, ...rest])
  if (first === 'impression') return parsePrintRoute(second, third, rest)
  if (rest.length > 0) return DEFAULT_ROUTE
  if (first === 'agenda') return parseAgenda(second, third)
  if (third !== undefined) return DEFAULT_ROUTE
  switch (first) {
    case 'patients':
      if (second === undefined || second === '') return { view: 'patients' }
      return isRecordId(second) ? { view: 'patient', patientId: second } : { view: 'patients' }
    case 'reglages':
      return second === undefined ? { view: 'settings' } : DEFAULT_ROUTE
    case 'rappels':
      return second !== undefined && isLocalDate(second) ? { view: 'reminders', date: second } : DEFAULT_ROUTE
    default:
      return DEFAULT_ROUTE
  }
}

// '#/tournee//<id>' (no date: today) is what routeHref writes for another practitioner's today.
function parseTourneeRoute(date: string | undefined, rest: readonly string[]): Route {
  const today: Route = { view: 'tournee', date: null, practitionerId: null }
  if (rest.length > 1) return today
  const day = date !== undefined && isLocalDate(date) ? date : null
  if (date !== undefined && date !== '' && day === null) return today
  const [practitionerId] = rest
  return { view: 'tournee', date: day, practitionerId: practitionerId !== undefined && isRecordId(practitionerId) ? practitionerId : null }
}

function parsePrintRoute(what: string | undefined, date: string | undefined, rest: readonly string[]): Route {
  if (!PRINT_WHATS.includes(what as PrintWhat) || !isLocalDate(date) || rest.length > 1) return DEFAULT_ROUTE
  const [practitionerId] = rest
  return {
    view: 'print',
    what: what as PrintWhat,
    date,
    practitionerId: practitionerId !== undefined && isRecordId(practitionerId) ? practitionerId : null,
  }
}

export function routeHref(route: Route): string {
  switch (route.view) {
    case 'agenda':
      if (route.date === null) return route.mode === 'jour' ? '#/agenda' : `#/agenda/${route.mode}`
      return `#/agenda/${route.mode}/${route.date}`
    case 'patients':
      return '#/patients'
    case 'patient':
      return `#/patients/${route.patientId}`
    case 'settings':
      return '#/reglages'
    case 'tournee':
      if (route.practitionerId !== null) return `#/tournee/${route.date ?? ''}/${route.practitionerId}`
      return route.date === null ? '#/tournee' : `#/tournee/${route.date}`
    case 'print':
      return `#/impression/${route.what}/${route.date}${route.practitionerId === null ? '' : `/${route.practitionerId}`}`
    case 'reminders':
      return `#/rappels/${route.date}`
  }
}

/** The navigation entry a route belongs to (a patient's page is under Patients). */
export function sectionOf(route: Route): Section {
  switch (route.view) {
    case 'patient':
      return 'patients'
    case 'print':
      return route.what === 'tournee' ? 'tournee' : 'agenda'
    case 'reminders':
      return 'agenda'
    default:
      return route.view
  }
}
