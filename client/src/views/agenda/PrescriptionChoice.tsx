import { useEffect, useState } from 'react'
import type * as Y from 'yjs'
import { inFile, listPrescriptions, newestDatedFirst, patientDocId, unionFileRecords } from '../../../../shared/src/model'
import type { Prescription } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { usePatientMembers, usePractice } from '../../state'
import { SelectField } from '../form/fields'

type Loaded = { status: 'loading' } | { status: 'ready'; prescriptions: readonly Prescription[] } | { status: 'unavailable' }

/**
 * « Ordonnance » of an appointment or a series: one of the patient's prescriptions, so that the
 * sessions count against it (prescription-counts.ts) — the patient's own, or one of a duplicate
 * merged into it (usePatientMembers). The patient's file is a clinical doc: a device that cannot
 * open it (not synced, no clinical key) keeps the stored link as it is.
 */
export function PrescriptionChoice(props: { patientId: string; defaultValue: string | undefined; error: string | undefined }) {
  const { t, longDate } = useT()
  const { docs, space } = usePractice()
  const { members } = usePatientMembers(props.patientId)
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' })
  const readsClinical = space.readsClinical
  useEffect(() => {
    // No clinical key on this device (secrétariat): the file is not asked for at all.
    if (!readsClinical) return
    let live = true
    Promise.all(members.map((id) => docs.open(patientDocId(id)))).then(
      ([own, ...others]) => {
        const list = (doc: Y.Doc) => inFile(doc, listPrescriptions(doc).items)
        const union = unionFileRecords(list(own!), others.flatMap(list), newestDatedFirst)
        if (live) setLoaded({ status: 'ready', prescriptions: union.map((item) => item.record) })
      },
      (error: unknown) => {
        console.warn('Patient file unavailable for the prescription choice', error instanceof Error ? error.name : 'error')
        if (live) setLoaded({ status: 'unavailable' })
      },
    )
    return () => {
      live = false
    }
  }, [docs, members, readsClinical])
  if (!readsClinical) {
    // The stored link is kept as it is; the person sees why there is no choice, not an error.
    return (
      <>
        {props.defaultValue ? <input type="hidden" name="prescriptionId" value={props.defaultValue} /> : null}
        <p className="field__hint">{t('agendaUi.prescription.reserved')}</p>
      </>
    )
  }
  if (loaded.status !== 'ready' || loaded.prescriptions.length === 0) {
    return props.defaultValue ? <input type="hidden" name="prescriptionId" value={props.defaultValue} /> : null
  }
  return (
    <SelectField
      name="prescriptionId"
      label={t('agendaUi.prescription')}
      hint={t('agendaUi.prescription.hint')}
      defaultValue={props.defaultValue ?? ''}
      error={props.error}
      choices={[
        { value: '', label: t('agendaUi.prescription.none') },
        ...loaded.prescriptions.map((p) => ({
          value: p.id,
          label: t('agendaUi.prescription.choice', {
            date: longDate(p.date),
            prescriber: p.prescriberName,
            sessions: p.sessionsPrescribed ?? '—',
          }),
        })),
      ]}
    />
  )
}
