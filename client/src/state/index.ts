/** How views read practice state: docs and sync status through hooks, never sockets or keys. */
export { PracticeProvider, useActor, usePractice } from './practice-context'
export type { PracticeContextValue } from './practice-context'
export { DocOpenError, useDoc, useDocSnapshot } from './use-doc'
export { useSyncState } from './use-sync-state'
export { useDocFreshness } from './doc-freshness'
export type { DocFreshness } from './doc-freshness'
export { useAppUpdate } from './use-app-update'
export { readLanguage, writeLanguage } from './language-preference'
export { usePatientSearch, usePatientSearchRead } from './patient-search'
export type { PatientSearchView } from './patient-search'
export { usePatientAppointments } from './patient-appointments'
export { usePatientMembers } from './patient-members'
export type { PatientMembers } from './patient-members'
export { usePatientFileRecords } from './patient-file-records'
export { useFileOpenings, useRecordFileOpening } from './file-openings'
export type { FileOpeningsView } from './file-openings'
export type { FileRecordsView } from './patient-file-records'
export type { PatientAppointmentsView } from './patient-appointments'
export {
  useAppointmentKinds,
  useDirectory,
  useDirectoryDigest,
  useDirectorySnapshot,
  useLivePractitioners,
  usePatientIndex,
  usePatients,
  usePracticeSettings,
  usePractitioners,
} from './directory'
export { useDocsSnapshot } from './use-docs-snapshot'
export { AttachmentsUnavailableError, useAttachmentActions, useAttachmentOpenable, useAttachmentState } from './use-attachments'
export type { AttachmentActions } from './use-attachments'
export { useAgendaAppointments, useAgendaFreshness, useSeriesIndex, useWeekDigest } from './agenda'
export { readHiddenPractitioners, writeHiddenPractitioners } from './agenda-columns-preference'
export { useAbsences, useHolidayCountry, useHolidays } from './absences'
export { useDeviceLabels } from './device-labels'
