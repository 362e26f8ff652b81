import { useCallback, useDeferredValue, useId, useState } from 'react'
import { addPatient, patientDisplayName } from '../../../../shared/src/model'
import type { Patient, PatientSearchIndex } from '../../../../shared/src/model'
import { issueKey, useT } from '../../i18n'
import { useActor, useDirectory, usePatientSearchRead, usePractice } from '../../state'
import type { FieldErrors } from '../form/field-errors'
import { TextField } from '../form/fields'
import { DirectoryDigestBanner } from '../sync/DirectoryDigestBanner'
import { checkPatientForm } from '../patients/patient-form'
import type { PatientField } from '../patients/patient-form'

const MAX_MATCHES = 8

/**
 * The editor's patient: search as you type (names, phone, birth date, NIR, through the model's
 * the practice's shared patient search index), or create one on the spot with a minimal identity (birth name, first names,
 * phone), validated like the patient form. The choice travels in a hidden `patientId` input.
 */
export function PatientPicker(props: {
  patientId: string | null
  /** The chosen patient's record; null while the index loads or for an unknown id. */
  patient: Patient | null
  onChange: (patientId: string | null) => void
  error: string | undefined
}) {
  const { t } = useT()
  const { clock } = usePractice()
  const actor = useActor()
  const directory = useDirectory()
  const groupId = useId()
  const [query, setQuery] = useState('')
  const deferred = useDeferredValue(query)
  const [creating, setCreating] = useState(false)
  const [identity, setIdentity] = useState({ birthName: '', firstNames: '', phone: '' })
  const [errors, setErrors] = useState<FieldErrors<PatientField>>({})
  const read = useCallback(
    (index: PatientSearchIndex) => (deferred.trim() === '' ? [] : index.search(deferred).items.slice(0, MAX_MATCHES)),
    [deferred],
  )
  const matches = usePatientSearchRead(read) ?? []

  const create = () => {
    if (!directory) return
    const checked = checkPatientForm({ ...identity })
    if (!checked.ok) {
      setErrors(checked.errors)
      return
    }
    const id = addPatient(directory, checked.fields, actor, clock)
    setErrors({})
    setCreating(false)
    setIdentity({ birthName: '', firstNames: '', phone: '' })
    props.onChange(id)
  }
  const errorText = (field: PatientField) => (errors[field] ? t(issueKey(errors[field])) : undefined)

  return (
    <fieldset className="picker" aria-labelledby={`${groupId}-legend`}>
      <legend id={`${groupId}-legend`} className="field__label">
        {t('appointment.patient')}
      </legend>
      <input type="hidden" name="patientId" value={props.patientId ?? ''} />
      {props.patientId ? (
        <div className="picker__chosen">
          <span>{t('agendaUi.patient.chosen', { name: props.patient ? patientDisplayName(props.patient) : t('agenda.unknownPatient') })}</span>
          <button type="button" className="button" onClick={() => props.onChange(null)}>
            {t('agendaUi.patient.change')}
          </button>
        </div>
      ) : (
        <>
          <TextField
            name="patientQuery"
            type="search"
            label={t('agendaUi.patient.search')}
            hint={t('agendaUi.patient.searchHint')}
            value={query}
            autoComplete="off"
            onChange={(event) => setQuery(event.currentTarget.value)}
            error={props.error}
          />
          {deferred.trim() !== '' ? <DirectoryDigestBanner compact /> : null}
          {matches.length > 0 ? (
            <ul className="picker__matches" aria-label={t('agendaUi.patient.matches')}>
              {matches.map((p) => (
                <li key={p.id}>
                  <button type="button" className="button picker__match" onClick={() => props.onChange(p.id)}>
                    {patientDisplayName(p)}
                    {p.birthDate ? <span className="picker__detail"> · {p.birthDate.split('-').reverse().join('/')}</span> : null}
                  </button>
                </li>
              ))}
            </ul>
          ) : deferred.trim() !== '' ? (
            <p className="picker__none">{t('agendaUi.patient.noMatch')}</p>
          ) : null}
          {creating ? (
            <div className="picker__new" role="group" aria-label={t('agendaUi.patient.new')}>
              <TextField
                name="newBirthName"
                label={t('patient.birthName')}
                value={identity.birthName}
                onChange={(event) => setIdentity({ ...identity, birthName: event.currentTarget.value })}
                error={errorText('birthName')}
              />
              <TextField
                name="newFirstNames"
                label={t('patient.givenNames')}
                value={identity.firstNames}
                onChange={(event) => setIdentity({ ...identity, firstNames: event.currentTarget.value })}
                error={errorText('firstNames')}
              />
              <TextField
                name="newPhone"
                type="tel"
                label={t('patient.phone')}
                value={identity.phone}
                onChange={(event) => setIdentity({ ...identity, phone: event.currentTarget.value })}
                error={errorText('phone')}
              />
              <button type="button" className="button button--primary" onClick={create}>
                {t('agendaUi.patient.create')}
              </button>
            </div>
          ) : (
            <button type="button" className="button" onClick={() => setCreating(true)}>
              {t('agendaUi.patient.new')}
            </button>
          )}
        </>
      )}
    </fieldset>
  )
}
