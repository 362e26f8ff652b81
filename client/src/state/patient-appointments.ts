/**
 * A patient's appointments for their page, from the few agenda months the directory's index says
 * they are in (shared/src/model/patient-months.ts): the months from this one on, and the most
 * recent `pastMonths` of the months before. Nothing else is opened, so a ten-year practice costs
 * the months this patient was seen in, not 120 relay rooms. A patient with duplicates merged into
 * it (usePatientMembers) has the months and the appointments of every one of them: appointments
 * booked for a duplicate keep its id, and may be booked for it after the merge by a device that
 * had not seen it yet.
 */
import { useCallback } from 'react'
import type * as Y from 'yjs'
import { agendaDocId, agendaMonthOfDoc, compareAppointments, listAppointments, membersMonths } from '../../../shared/src/model'
import type { Appointment, PatientMonths } from '../../../shared/src/model'
import { useDirectory } from './directory'
import { useDocSnapshot } from './use-doc'
import { useDocsSnapshot } from './use-docs-snapshot'
import { usePatientMembers } from './patient-members'

export type PatientAppointmentsView = {
  /** Where the patient's appointments are; null while the directory opens or before the patient syncs. */
  readonly index: PatientMonths | null
  /** Months before this one with appointments, not opened yet (« Afficher les plus anciens »). */
  readonly olderMonths: number
  /** The appointments of the months opened, by start; null while any of them is still opening. */
  readonly appointments: readonly Appointment[] | null
  /**
   * Months the index lists whose doc, once open, holds nothing of this patient (not even a copy
   * moved away): their appointments have not reached this device yet, if the practice is syncing.
   */
  readonly emptyMonths: readonly string[]
  /** The agenda docs opened for the page (their freshness says whether « aucun » can be trusted). */
  readonly docIds: readonly string[]
}

type MonthsRead = { readonly appointments: Appointment[]; readonly emptyMonths: string[] }

/** The months to open: every month from `thisMonth` on, and the last `pastMonths` before it. */
export function monthsToShow(index: PatientMonths, thisMonth: string, pastMonths: number): { shown: string[]; older: number } {
  const past = index.months.filter((m) => m < thisMonth)
  const coming = index.months.filter((m) => m >= thisMonth)
  const shownPast = pastMonths > 0 ? past.slice(-pastMonths) : []
  return { shown: [...shownPast, ...coming], older: past.length - shownPast.length }
}

export function usePatientAppointments(patientId: string, thisMonth: string, pastMonths: number): PatientAppointmentsView {
  const { members } = usePatientMembers(patientId)
  const readIndex = useCallback((doc: Y.Doc) => membersMonths(doc, members), [members])
  const index = useDocSnapshot(useDirectory(), readIndex)
  const { shown, older } = index ? monthsToShow(index, thisMonth, pastMonths) : { shown: [], older: 0 }
  const readAppointments = useCallback(
    (docs: readonly Y.Doc[]): MonthsRead => {
      const byId = new Map<string, Appointment>()
      const emptyMonths: string[] = []
      for (const doc of docs) {
        const all = members.flatMap((id) => listAppointments(doc, { patientId: id, includeDeleted: true }).items)
        if (all.length === 0) emptyMonths.push(agendaMonthOfDoc(doc))
        for (const a of all) if (a.deletedAt === undefined) byId.set(a.id, a)
      }
      return { appointments: [...byId.values()].sort(compareAppointments), emptyMonths }
    },
    [members],
  )
  const docIds = shown.map(agendaDocId)
  const { value, complete } = useDocsSnapshot(docIds, readAppointments)
  const ready = index !== null && complete
  return { index, olderMonths: older, appointments: ready ? value.appointments : null, emptyMonths: ready ? value.emptyMonths : [], docIds }
}
