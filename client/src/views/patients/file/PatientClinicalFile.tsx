import { useId, useMemo } from 'react'
import { patientDocId } from '../../../../../shared/src/model'
import { useT } from '../../../i18n'
import { useDoc, useDocFreshness, usePatientMembers, useRecordFileOpening } from '../../../state'
import { FreshnessBanner } from '../../sync/FreshnessBanner'
import { AttachmentSection } from './AttachmentSection'
import { FileOpenings } from './FileOpenings'
import { NoteTimeline } from './NoteTimeline'
import { PrescriptionForm } from './PrescriptionForm'
import { PrescriptionList } from './PrescriptionList'
import './clinical-file.css'

/**
 * The clinical file of one patient (doc `patient/<id>`): notes and bilans, ordonnances,
 * attachments — with those of the duplicates merged into it, each read from its own doc
 * (usePatientMembers). A merged-away id shows the file of the patient it was merged into. What is
 * added goes to the survivor's own file, and so does the record of this opening (its access log,
 * shown last as « Consultations du dossier »).
 */
export function PatientClinicalFile(props: { patientId: string }) {
  const { t } = useT()
  const { members, survivor } = usePatientMembers(props.patientId)
  const doc = useDoc(patientDocId(survivor))
  // Once the file is on screen: one record per opening of the page (coalesced by the model).
  useRecordFileOpening(doc)
  // The file is every member's doc: one not known complete here, or offline, is said above the
  // notes, never shown as current.
  const freshness = useDocFreshness(useMemo(() => members.map(patientDocId), [members]))
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
          <NoteTimeline doc={doc} members={members} />
          <section className="clinical__section" aria-labelledby={prescriptionsId}>
            <h3 id={prescriptionsId}>{t('file.prescriptions')}</h3>
            <PrescriptionList members={members} />
            <PrescriptionForm doc={doc} />
          </section>
          <AttachmentSection doc={doc} members={members} />
          <FileOpenings members={members} />
        </>
      )}
    </section>
  )
}
