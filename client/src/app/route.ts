/**
 * Screens of an open practice, addressed by the location hash so that reloading the app (or
 * going back) lands on the same screen:
 *
 *   #/agenda               today's agenda
 *   #/agenda/2026-11-23    the agenda of a day
 *   #/patients             the patient list
 *   #/patients/<id>        one patient
 *   #/reglages             settings
 *   #/tournee              today's home visits of the practitioner using the device
 *   #/tournee/2026-11-23   the home visits of a day
 *   #/tournee/2026-11-23/<practitionerId>   … of another practitioner (an id, never a name)
 */
import { isLocalDate, isRecordId } from '../../../shared/src/model'

export type Route =
  | { readonly view: 'agenda'; readonly date: string | null }
  | { readonly view: 'patients' }
  | { readonly view: 'patient'; readonly patientId: string }
  | { readonly view: 'settings' }
  | { readonly view: 'tournee'; readonly date: string | null; readonly practitionerId: string | null }

export type Section = 'agenda' | 'patients' | 'settings' | 'tournee'

const DEFAULT_ROUTE: Route = { view: 'agenda', date: null }

export function parseRoute(hash: string): Route {
  const [first = '', second, ...rest] = hash.replace(/^#\/?/, '').split('/')
  if (first === 'tournee') return parseTourneeRoute(second, rest)
  if (rest.length > 0) return DEFAULT_ROUTE
  switch (first) {
    case 'agenda':
      return second !== undefined && isLocalDate(second) ? { view: 'agenda', date: second } : DEFAULT_ROUTE
    case 'patients':
      if (second === undefined || second === '') return { view: 'patients' }
      return isRecordId(second) ? { view: 'patient', patientId: second } : { view: 'patients' }
    case 'reglages':
      return second === undefined ? { view: 'settings' } : DEFAULT_ROUTE
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

export function routeHref(route: Route): string {
  switch (route.view) {
    case 'agenda':
      return route.date === null ? '#/agenda' : `#/agenda/${route.date}`
    case 'patients':
      return '#/patients'
    case 'patient':
      return `#/patients/${route.patientId}`
    case 'settings':
      return '#/reglages'
    case 'tournee':
      if (route.practitionerId !== null) return `#/tournee/${route.date ?? ''}/${route.practitionerId}`
      return route.date === null ? '#/tournee' : `#/tournee/${route.date}`
  }
}

/** The navigation entry a route belongs to (a patient's page is under Patients). */
export function sectionOf(route: Route): Section {
  return route.view === 'patient' ? 'patients' : route.view
}
