import { useEffect } from 'react'
import { useT } from '../i18n'
import { usePractice } from '../state'
import { AgendaScreen } from '../views/agenda/AgendaScreen'
import { PatientDetailScreen } from '../views/patients/PatientDetailScreen'
import { PatientsScreen } from '../views/patients/PatientsScreen'
import { PrintScreen } from '../views/print/PrintScreen'
import { RemindersScreen } from '../views/reminders/RemindersScreen'
import { SettingsScreen } from '../views/settings/SettingsScreen'
import { HomeVisitsScreen } from '../views/tournee/HomeVisitsScreen'
import { AppFrame } from './AppFrame'
import { CrashBoundary } from './CrashBoundary'
import { routeHref, sectionOf } from './route'
import type { Route, Section } from './route'
import { useRoute } from './use-route'

const SECTIONS: readonly { section: Section; route: Route; label: 'nav.agenda' | 'nav.tournee' | 'nav.patients' | 'nav.settings' }[] = [
  { section: 'agenda', route: { view: 'agenda', mode: 'jour', date: null }, label: 'nav.agenda' },
  { section: 'tournee', route: { view: 'tournee', date: null, practitionerId: null }, label: 'nav.tournee' },
  { section: 'patients', route: { view: 'patients' }, label: 'nav.patients' },
  { section: 'settings', route: { view: 'settings' }, label: 'nav.settings' },
]

/** Agenda, Tournée, Patients, Réglages: the screens of a practitioner's device. */
export function MainLayout() {
  const route = useRoute()
  const { space } = usePractice()
  // Past « Qui êtes-vous ? »: a new device may now bring the directory (sync/startup/first-screen.ts).
  useEffect(() => space.firstScreenShown(), [space])
  return (
    <AppFrame navigation={<MainNavigation current={sectionOf(route)} />}>
      <main className="screen">
        {/* A screen that fails (a doc that cannot open) leaves the header and navigation usable. */}
        <CrashBoundary key={routeHref(route)}>
          <RouteScreen route={route} />
        </CrashBoundary>
      </main>
    </AppFrame>
  )
}

function MainNavigation(props: { current: Section }) {
  const { t } = useT()
  return (
    <nav className="nav" aria-label={t('nav.label')}>
      <ul className="nav__list">
        {SECTIONS.map(({ section, route, label }) => (
          <li key={section}>
            <a className="nav__link" href={routeHref(route)} aria-current={props.current === section ? 'page' : undefined}>
              {t(label)}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  )
}

function RouteScreen(props: { route: Route }) {
  const { route } = props
  switch (route.view) {
    case 'agenda':
      return <AgendaScreen mode={route.mode} date={route.date} />
    case 'patients':
      return <PatientsScreen />
    case 'patient':
      return <PatientDetailScreen patientId={route.patientId} />
    case 'settings':
      return <SettingsScreen />
    case 'tournee':
      return <HomeVisitsScreen date={route.date} practitionerId={route.practitionerId} />
    case 'print':
      return <PrintScreen what={route.what} date={route.date} practitionerId={route.practitionerId} />
    case 'reminders':
      return <RemindersScreen date={route.date} />
  }
}
