/**
 * Screens of an open practice, addressed by the location hash so that reloading the app (or
 * going back) lands on the same screen:
 *
 *   #/agenda               today's agenda
 *   #/agenda/2026-11-23    the agenda of a day
 *   #/patients             the patient list
 *   #/patients/<id>        one patient
 *   #/reglages             settings
 */
import { isLocalDate, isRecordId } from '../../../shared/src/model'

export type Route =
  | { readonly view: 'agenda'; readonly date: string | null }
  | { readonly view: 'patients' }
  | { readonly view: 'patient'; readonly patientId: string }
  | { readonly view: 'settings' }

export type Section = 'agenda' | 'patients' | 'settings'

const DEFAULT_ROUTE: Route = { view: 'agenda', date: null }

export function parseRoute(hash: string): Route {
  const [first = '', second, ...rest] = hash.replace(/^#\/?/, '').split('/')
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
  }
}

/** The navigation entry a route belongs to (a patient's page is under Patients). */
export function sectionOf(route: Route): Section {
  return route.view === 'patient' ? 'patients' : route.view
}
