/** How views read practice state: docs and sync status through hooks, never sockets or keys. */
export { PracticeProvider, useActor, usePractice } from './practice-context'
export type { PracticeContextValue } from './practice-context'
export { DocOpenError, useDoc, useDocSnapshot } from './use-doc'
export { useSyncState } from './use-sync-state'
export { readLanguage, writeLanguage } from './language-preference'
export { useAppointmentKinds, useDirectory, usePatientIndex, usePatients, usePracticeSettings, usePractitioners } from './directory'
export { useAgendaAppointments, useSeriesIndex } from './agenda'
export { readHiddenPractitioners, writeHiddenPractitioners } from './agenda-columns-preference'
