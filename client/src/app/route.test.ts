import { describe, expect, it } from 'vitest'
import { parseRoute, routeHref, sectionOf } from './route'
import type { Route } from './route'

describe('routes', () => {
  it.each<[string, Route]>([
    ['', { view: 'agenda', mode: 'jour', date: null }],
    ['#/', { view: 'agenda', mode: 'jour', date: null }],
    ['#/agenda', { view: 'agenda', mode: 'jour', date: null }],
    ['#/agenda/2026-11-23', { view: 'agenda', mode: 'jour', date: '2026-11-23' }],
    ['#/agenda/2026-02-30', { view: 'agenda', mode: 'jour', date: null }],
    ['#/agenda/jour/2026-11-23', { view: 'agenda', mode: 'jour', date: '2026-11-23' }],
    ['#/agenda/semaine/2026-11-23', { view: 'agenda', mode: 'semaine', date: '2026-11-23' }],
    ['#/agenda/semaine', { view: 'agenda', mode: 'semaine', date: null }],
    ['#/agenda/semaine/lundi', { view: 'agenda', mode: 'semaine', date: null }],
    ['#/agenda/mois/2026-11', { view: 'agenda', mode: 'mois', date: '2026-11-01' }],
    ['#/agenda/mois/2026-13', { view: 'agenda', mode: 'mois', date: null }],
    ['#/agenda/mois/2026-11-05', { view: 'agenda', mode: 'mois', date: '2026-11-05' }],
    ['#/agenda/mois/2026-11-31', { view: 'agenda', mode: 'mois', date: null }],
    ['#/agenda/annee/2026', { view: 'agenda', mode: 'jour', date: null }],
    ['#/patients', { view: 'patients' }],
    ['#/patients/', { view: 'patients' }],
    ['#/patients/AbC_12-xyz', { view: 'patient', patientId: 'AbC_12-xyz' }],
    ['#/patients/a b', { view: 'patients' }],
    ['#/reglages', { view: 'settings' }],
    ['#/nowhere', { view: 'agenda', mode: 'jour', date: null }],
    ['#/agenda/2026-11-23/extra', { view: 'agenda', mode: 'jour', date: null }],
    ['#/agenda/jour/2026-11-23/extra', { view: 'agenda', mode: 'jour', date: null }],
    ['#/patients/p1/extra', { view: 'agenda', mode: 'jour', date: null }],
    ['#/tournee', { view: 'tournee', date: null, practitionerId: null }],
    ['#/tournee/', { view: 'tournee', date: null, practitionerId: null }],
    ['#/tournee/2026-11-23', { view: 'tournee', date: '2026-11-23', practitionerId: null }],
    ['#/tournee/2026-11-23/Pr4c_id', { view: 'tournee', date: '2026-11-23', practitionerId: 'Pr4c_id' }],
    ['#/tournee//Pr4c_id', { view: 'tournee', date: null, practitionerId: 'Pr4c_id' }],
    ['#/tournee/2026-11-23/Dupont Marie', { view: 'tournee', date: '2026-11-23', practitionerId: null }],
    ['#/tournee/2026-13-01', { view: 'tournee', date: null, practitionerId: null }],
    ['#/tournee/2026-11-23/p1/extra', { view: 'tournee', date: null, practitionerId: null }],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route)
  })

  it('round-trips every kind of route', () => {
    const routes: Route[] = [
      { view: 'agenda', mode: 'jour', date: null },
      { view: 'agenda', mode: 'jour', date: '2026-03-29' },
      { view: 'agenda', mode: 'semaine', date: '2026-03-29' },
      { view: 'agenda', mode: 'semaine', date: null },
      { view: 'agenda', mode: 'mois', date: '2026-03-01' },
      { view: 'agenda', mode: 'mois', date: '2026-03-29' },
      { view: 'patients' },
      { view: 'patient', patientId: 'p1' },
      { view: 'settings' },
      { view: 'tournee', date: null, practitionerId: null },
      { view: 'tournee', date: '2026-11-23', practitionerId: null },
      { view: 'tournee', date: '2026-11-23', practitionerId: 'p1' },
      { view: 'tournee', date: null, practitionerId: 'p1' },
      { view: 'print', what: 'jour', date: '2026-11-23', practitionerId: null },
      { view: 'print', what: 'tournee', date: '2026-11-23', practitionerId: 'p1' },
      { view: 'reminders', date: '2026-11-24' },
    ]
    for (const route of routes) expect(parseRoute(routeHref(route))).toEqual(route)
  })

  it('files a patient page under Patients', () => {
    expect(sectionOf({ view: 'patient', patientId: 'p1' })).toBe('patients')
  })

  it('files the printed round under Tournée, the printed day and the reminders under Agenda', () => {
    expect(sectionOf({ view: 'print', what: 'tournee', date: '2026-11-23', practitionerId: null })).toBe('tournee')
    expect(sectionOf({ view: 'print', what: 'jour', date: '2026-11-23', practitionerId: null })).toBe('agenda')
    expect(sectionOf({ view: 'reminders', date: '2026-11-24' })).toBe('agenda')
  })

  it.each(['#/impression/mois/2026-11-23', '#/impression/jour/2026-13-01', '#/rappels/demain', '#/impression/jour/2026-11-23/p1/x'])(
    'sends %s to the agenda',
    (hash) => {
      expect(parseRoute(hash)).toEqual({ view: 'agenda', mode: 'jour', date: null })
    },
  )
})
