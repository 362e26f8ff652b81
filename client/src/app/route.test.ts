import { describe, expect, it } from 'vitest'
import { parseRoute, routeHref, sectionOf } from './route'
import type { Route } from './route'

describe('routes', () => {
  it.each<[string, Route]>([
    ['', { view: 'agenda', date: null }],
    ['#/', { view: 'agenda', date: null }],
    ['#/agenda', { view: 'agenda', date: null }],
    ['#/agenda/2026-11-23', { view: 'agenda', date: '2026-11-23' }],
    ['#/agenda/2026-02-30', { view: 'agenda', date: null }],
    ['#/patients', { view: 'patients' }],
    ['#/patients/', { view: 'patients' }],
    ['#/patients/AbC_12-xyz', { view: 'patient', patientId: 'AbC_12-xyz' }],
    ['#/patients/a b', { view: 'patients' }],
    ['#/reglages', { view: 'settings' }],
    ['#/nowhere', { view: 'agenda', date: null }],
    ['#/agenda/2026-11-23/extra', { view: 'agenda', date: null }],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route)
  })

  it('round-trips every kind of route', () => {
    const routes: Route[] = [
      { view: 'agenda', date: null },
      { view: 'agenda', date: '2026-03-29' },
      { view: 'patients' },
      { view: 'patient', patientId: 'p1' },
      { view: 'settings' },
    ]
    for (const route of routes) expect(parseRoute(routeHref(route))).toEqual(route)
  })

  it('files a patient page under Patients', () => {
    expect(sectionOf({ view: 'patient', patientId: 'p1' })).toBe('patients')
  })
})
