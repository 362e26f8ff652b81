import { useCallback, useId, useState } from 'react'
import type { ReactNode } from 'react'
import type * as Y from 'yjs'
import { findDuplicatesOf, getPatient, patientDisplayName, updatePatient } from '../../../../shared/src/model'
import type { Patient } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useActor, useDirectory, useDirectoryDigest, useDocSnapshot, usePatientMembers, usePractice } from '../../state'
import { routeHref } from '../../app/route'
import { describeError } from '../form/describe-error'
import { FormAlert, FormNotice } from '../form/form-alert'
import { DuplicateBanner } from './DuplicateBanner'
import { EditPatientForm } from './EditPatientForm'
import { formatNir, formatPhone } from './patient-form'
import { PatientClinicalFile } from './file/PatientClinicalFile'
import { ClinicalReserved } from './file/ClinicalReserved'
import { PatientAppointments } from './PatientAppointments'
import { PatientHistory } from './PatientHistory'

/**
 * Identity and contact of one patient, its edit form and its history; its appointments and its
 * clinical file with those of the duplicates merged into it.
 */
export function PatientDetailScreen(props: { patientId: string }) {
  const { t } = useT()
  const directory = useDirectory()
  // A role without the clinical keys (secrétariat) sees where the file is, never opens it.
  const { space } = usePractice()
  const { patientId } = props
  const read = useCallback((doc: Y.Doc) => getPatient(doc, patientId) ?? null, [patientId])
  const patient = useDocSnapshot(directory, read)
  // A patient listed from the directory digest may not have reached the doc yet: that is a wait,
  // not a "not found". The page shows the record from the doc only, the one its forms write to.
  const digest = useDirectoryDigest()
  const syncing = digest !== null && patient === null

  return (
    <div className="patient">
      <a className="button button--quiet" href={routeHref({ view: 'patients' })}>
        <span aria-hidden="true">‹ </span>
        {t('patients.back')}
      </a>
      {directory === null ? (
        <p>{t('app.loading')}</p>
      ) : syncing ? (
        <p className="digest-wait" aria-live="polite">
          {t('digest.patientSyncing')}
        </p>
      ) : patient === null ? (
        <p className="empty">{t('patients.notFound')}</p>
      ) : (
        <PatientIdentity directory={directory} patient={patient} />
      )}
      {patient ? space.readsClinical ? <PatientClinicalFile patientId={patientId} /> : <ClinicalReserved /> : null}
    </div>
  )
}

function PatientIdentity(props: { directory: Y.Doc; patient: Patient }) {
  const translator = useT()
  const { t } = translator
  const { directory, patient } = props
  const { clock } = usePractice()
  const actor = useActor()
  const nameId = useId()
  const [editing, setEditing] = useState(false)
  const [notice, setNotice] = useState('')
  const [failure, setFailure] = useState<string | null>(null)
  const readDuplicates = useCallback((doc: Y.Doc) => findDuplicatesOf(doc, patient.id), [patient.id])
  const duplicates = useDocSnapshot(directory, readDuplicates) ?? []
  // A duplicate merged away leads to the patient it now belongs to, through any chain of merges;
  // its clinical file below is that patient's.
  const { survivor } = usePatientMembers(patient.id)
  const mergedInto = survivor === patient.id ? null : survivor

  function setArchived(archived: boolean) {
    try {
      updatePatient(directory, patient.id, { archived }, actor, clock)
      setFailure(null)
      setNotice(archived ? t('patients.archivedNotice') : t('patients.unarchivedNotice'))
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  return (
    <article aria-labelledby={nameId}>
      <h1 id={nameId}>{patientDisplayName(patient)}</h1>
      {mergedInto ? (
        <p className="banner">
          {t('patients.mergedInto')} <a href={routeHref({ view: 'patient', patientId: mergedInto })}>{t('patients.openKept')}</a>
        </p>
      ) : null}
      {patient.archived ? <p className="patient__archived">{t('patients.isArchived')}</p> : null}
      {duplicates.map((pair) => (
        <DuplicateBanner key={`${pair.keep.id}-${pair.drop.id}`} pair={pair} currentId={patient.id} />
      ))}
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      {editing ? (
        <EditPatientForm
          directory={directory}
          patient={patient}
          onDone={(saved) => {
            setEditing(false)
            setNotice(saved ? t('patients.saved') : '')
          }}
        />
      ) : (
        <>
          <div className="patient__actions">
            {patient.phones?.[0] ? (
              <a className="button button--primary patient__call" href={`tel:${patient.phones[0]}`}>
                {t('patients.call', { phone: formatPhone(patient.phones[0]) })}
              </a>
            ) : null}
            <button className={patient.phones?.[0] ? 'button' : 'button button--primary'} type="button" onClick={() => setEditing(true)}>
              {t('patients.edit')}
            </button>
            <button className="button" type="button" onClick={() => setArchived(!patient.archived)}>
              {patient.archived ? t('patients.unarchive') : t('patients.archive')}
            </button>
          </div>
          <PatientCard patient={patient} />
          <PatientAppointments patient={patient} />
        </>
      )}
      <FormNotice>{notice}</FormNotice>
      <PatientHistory directory={directory} patientId={patient.id} />
    </article>
  )
}

function PatientCard(props: { patient: Patient }) {
  const { t, longDate } = useT()
  const { patient } = props
  const none = t('patients.none')
  return (
    <>
      <section className="card">
        <h2>{t('patients.identity')}</h2>
        <dl className="facts">
          <Fact label={t('patient.birthName')}>{patient.birthName}</Fact>
          <Fact label={t('patient.usedName')}>{patient.usualName ?? none}</Fact>
          <Fact label={t('patient.givenNames')}>{patient.firstNames}</Fact>
          <Fact label={t('patient.sex')}>{patient.sex ? t(`patient.sex.${patient.sex}`) : none}</Fact>
          <Fact label={t('patient.birthDate')}>{patient.birthDate ? longDate(patient.birthDate) : none}</Fact>
          <Fact label={t('patient.nir')}>{patient.nir ? formatNir(patient.nir) : none}</Fact>
        </dl>
      </section>
      <section className="card">
        <h2>{t('patients.contact')}</h2>
        <dl className="facts">
          <Fact label={t('patient.phone')}>
            {patient.phones && patient.phones.length > 0
              ? patient.phones.map((phone) => (
                  <a key={phone} href={`tel:${phone}`} className="facts__link">
                    {formatPhone(phone)}
                  </a>
                ))
              : none}
          </Fact>
          <Fact label={t('patient.email')}>
            {patient.email ? <a href={`mailto:${patient.email}`}>{patient.email}</a> : none}
          </Fact>
          <Fact label={t('patient.address')}>
            {patient.address ? (
              <>
                {patient.address.line1}
                {patient.address.line2 ? <br /> : null}
                {patient.address.line2}
                <br />
                {patient.address.postalCode} {patient.address.city}
              </>
            ) : (
              none
            )}
          </Fact>
          {patient.address?.accessNotes ? (
            <Fact label={t('patient.address.accessNotes')}>{patient.address.accessNotes}</Fact>
          ) : null}
        </dl>
      </section>
      <section className="card">
        <h2>{t('patients.followUp')}</h2>
        <dl className="facts">
          <Fact label={t('patient.referringDoctor')}>
            {patient.referringDoctor
              ? [patient.referringDoctor.name, patient.referringDoctor.rpps ? `RPPS ${patient.referringDoctor.rpps}` : null]
                  .filter(Boolean)
                  .join(' · ')
              : none}
          </Fact>
          <Fact label={t('patient.insurance')}>{patient.insurance ?? none}</Fact>
          <Fact label={t('patient.tags')}>
            {patient.tags && patient.tags.length > 0 ? (
              <ul className="tags">
                {patient.tags.map((tag) => (
                  <li key={tag} className="tag">
                    {tag}
                  </li>
                ))}
              </ul>
            ) : (
              none
            )}
          </Fact>
        </dl>
      </section>
    </>
  )
}

function Fact(props: { label: string; children: ReactNode }) {
  return (
    <div className="facts__row">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  )
}
