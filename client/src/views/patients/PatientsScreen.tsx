import { useCallback, useDeferredValue, useId, useState } from 'react'
import type * as Y from 'yjs'
import { patientDisplayName, searchPatients } from '../../../../shared/src/model'
import type { Patient } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useDirectory, useDocSnapshot } from '../../state'
import { routeHref } from '../../app/route'
import { AddPatientForm } from './AddPatientForm'

/** The patient index: a filter, the sorted list, and a form to add a patient. */
export function PatientsScreen() {
  const { t, plural } = useT()
  const filterHintId = useId()
  const [query, setQuery] = useState('')
  const deferredQuery = useDeferredValue(query)
  const directory = useDirectory()
  const readMatches = useCallback((doc: Y.Doc) => searchPatients(doc, deferredQuery).items, [deferredQuery])
  const patients = useDocSnapshot(directory, readMatches)

  return (
    <div className="patients">
      <section className="patients__list">
        <h1>{t('patients.title')}</h1>
        <div className="field">
          <label className="field__label" htmlFor={`${filterHintId}-input`}>
            {t('patients.filter')}
          </label>
          <input
            id={`${filterHintId}-input`}
            className="field__control"
            type="search"
            value={query}
            onChange={(event) => setQuery(event.currentTarget.value)}
            aria-describedby={filterHintId}
            autoComplete="off"
          />
          <p className="field__hint" id={filterHintId}>
            {t('patients.filter.hint')}
          </p>
        </div>
        {patients === null ? (
          <p>{t('app.loading')}</p>
        ) : patients.length === 0 ? (
          <p className="empty">{query.trim() === '' ? t('patients.empty') : t('patients.noMatch', { query })}</p>
        ) : (
          <>
            <p className="patients__count">{plural('patients.count', patients.length)}</p>
            <PatientList patients={patients} label={t('patients.listLabel')} />
          </>
        )}
      </section>
      <AddPatientForm />
    </div>
  )
}

function PatientList(props: { patients: readonly Patient[]; label: string }) {
  const { longDate } = useT()
  return (
    <ul className="patient-list" aria-label={props.label}>
      {props.patients.map((patient) => (
        <li key={patient.id}>
          <a className="patient-list__item" href={routeHref({ view: 'patient', patientId: patient.id })}>
            <span className="patient-list__name">{patientDisplayName(patient)}</span>
            <span className="patient-list__details">
              {[patient.birthDate ? longDate(patient.birthDate) : null, patient.address?.city ?? null]
                .filter(Boolean)
                .join(' · ')}
            </span>
          </a>
        </li>
      ))}
    </ul>
  )
}
