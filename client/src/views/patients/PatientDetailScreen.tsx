import { useCallback, useId } from 'react'
import type { ReactNode } from 'react'
import type * as Y from 'yjs'
import { getPatient, patientDisplayName } from '../../../../shared/src/model'
import type { Patient } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useDirectory, useDocSnapshot } from '../../state'
import { routeHref } from '../../app/route'
import { formatNir, formatPhone } from './patient-form'
import { PatientClinicalFile } from './file/PatientClinicalFile'

/** Identity and contact of one patient; the clinical file comes with its own screen. */
export function PatientDetailScreen(props: { patientId: string }) {
  const { t } = useT()
  const directory = useDirectory()
  const { patientId } = props
  const read = useCallback((doc: Y.Doc) => getPatient(doc, patientId) ?? null, [patientId])
  const patient = useDocSnapshot(directory, read)

  return (
    <div className="patient">
      <a className="button button--quiet" href={routeHref({ view: 'patients' })}>
        <span aria-hidden="true">‹ </span>
        {t('patients.back')}
      </a>
      {directory === null ? (
        <p>{t('app.loading')}</p>
      ) : patient === null ? (
        <p className="empty">{t('patients.notFound')}</p>
      ) : (
        <PatientCard patient={patient} />
      )}
      {patient ? <PatientClinicalFile patientId={patientId} /> : null}
    </div>
  )
}

function PatientCard(props: { patient: Patient }) {
  const { t, longDate } = useT()
  const { patient } = props
  const nameId = useId()
  const none = t('patients.none')
  return (
    <article aria-labelledby={nameId}>
      <h1 id={nameId}>{patientDisplayName(patient)}</h1>
      <section className="card">
        <h2>{t('patients.identity')}</h2>
        <dl className="facts">
          <Fact label={t('patient.birthName')}>{patient.birthName}</Fact>
          <Fact label={t('patient.usedName')}>{patient.usualName ?? none}</Fact>
          <Fact label={t('patient.givenNames')}>{patient.firstNames}</Fact>
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
    </article>
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
