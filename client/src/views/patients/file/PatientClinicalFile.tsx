import { useId, useMemo } from 'react'
import { patientDocId } from '../../../../../shared/src/model'
import { useT } from '../../../i18n'
import { useDoc, useDocFreshness } from '../../../state'
import { FreshnessBanner } from '../../sync/FreshnessBanner'
import { AttachmentSection } from './AttachmentSection'
import { NoteTimeline } from './NoteTimeline'
import { PrescriptionForm } from './PrescriptionForm'
import { PrescriptionList } from './PrescriptionList'
import './clinical-file.css'

/** The clinical file of one patient (doc `patient/<id>`): notes and bilans, ordonnances, attachments. */
export function PatientClinicalFile(props: { patientId: string }) {
  const { patientId } = props
  const { t } = useT()
  const doc = useDoc(patientDocId(patientId))
  // A file not known complete here, or offline: said above the notes, never shown as current.
  const freshness = useDocFreshness(useMemo(() => [patientDocId(patientId)], [patientId]))
  const titleId = useId()
  const prescriptionsId = useId()

  return (
    <section className="clinical" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('file.title')}</h2>
      <FreshnessBanner freshness={freshness} subject="file" />
      {doc === null ? (
        <p>{t('app.loading')}</p>
      ) : (
        <>
          <NoteTimeline doc={doc} patientId={patientId} />
          <section className="clinical__section" aria-labelledby={prescriptionsId}>
            <h3 id={prescriptionsId}>{t('file.prescriptions')}</h3>
            <PrescriptionList doc={doc} patientId={patientId} />
            <PrescriptionForm doc={doc} />
          </section>
          <AttachmentSection doc={doc} />
        </>
      )}
    </section>
  )
}
