import { useCallback, useDeferredValue, useId, useState } from 'react'
import { addPatient, isIncompleteDate, patientDisplayName, sameIdentity, TEXT_LIMITS, todayIn } from '../../../../shared/src/model'
import type { Patient, PatientSearchIndex } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useActor, useDirectory, usePatientSearchRead, usePractice } from '../../state'
import type { FieldIssues } from '../form/field-errors'
import { DateField } from '../form/DateField'
import { TextField } from '../form/fields'
import { formatDateText } from '../form/french-date-input'
import { issueText } from '../form/issue-text'
import { DirectoryDigestBanner } from '../sync/DirectoryDigestBanner'
import { identityFromQuery } from '../patients/identity-from-query'
import type { QueryIdentity } from '../patients/identity-from-query'
import { checkPatientForm } from '../patients/patient-form'
import '../patients/patient-picker.css'
import type { PatientField } from '../patients/patient-form'

const MAX_MATCHES = 8
const NO_PATIENTS: readonly Patient[] = []

/**
 * The editor's patient: search as you type (names, phone, birth date, NIR, through the practice's
 * shared patient search index), or create one on the spot. Creating starts from what was typed in
 * the search (« Dupont Jeanne » fills both names) and asks for the birth date, which the duplicate
 * rule needs: a patient already there with the same names and birth date is offered instead, so
 * that a booking does not make a second record of someone. Validated like the patient form; the
 * choice travels in a hidden `patientId` input.
 */
export function PatientPicker(props: {
  patientId: string | null
  /** The chosen patient's record; null while the index loads or for an unknown id. */
  patient: Patient | null
  onChange: (patientId: string | null) => void
  error: string | undefined
}) {
  const translator = useT()
  const { t, timeZone } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const directory = useDirectory()
  const groupId = useId()
  const today = todayIn(timeZone, clock)
  const [query, setQuery] = useState('')
  const deferred = useDeferredValue(query)
  const [identity, setIdentity] = useState<QueryIdentity | null>(null)
  const [errors, setErrors] = useState<FieldIssues<PatientField>>({})
  const [duplicateAccepted, setDuplicateAccepted] = useState(false)
  const read = useCallback(
    (index: PatientSearchIndex) => (deferred.trim() === '' ? NO_PATIENTS : index.search(deferred).items.slice(0, MAX_MATCHES)),
    [deferred],
  )
  const matches = usePatientSearchRead(read) ?? NO_PATIENTS
  // Patients with the identity being created: found by their birth date, then the duplicate rule.
  const birthDate = identity?.birthDate ?? ''
  const readSame = useCallback(
    (index: PatientSearchIndex) => {
      if (identity === null || birthDate === '') return NO_PATIENTS
      const same = index.search(formatDateText(birthDate), { includeArchived: true }).items.filter((p) => sameIdentity(p, identity))
      return same.length === 0 ? NO_PATIENTS : same
    },
    [identity, birthDate],
  )
  const existing = usePatientSearchRead(readSame) ?? NO_PATIENTS

  const edit = (change: Partial<QueryIdentity>) => {
    if (identity === null) return
    setIdentity({ ...identity, ...change })
    setDuplicateAccepted(false)
  }

  const create = () => {
    if (!directory || identity === null) return
    const values = { birthName: identity.birthName, firstNames: identity.firstNames, birthDate: identity.birthDate, phone: identity.phone }
    const checked = checkPatientForm(values, { today })
    const found: FieldIssues<PatientField> = checked.ok ? {} : { ...checked.errors }
    if (identity.birthDate.trim() === '' && found.birthDate === undefined) found.birthDate = { code: 'required' }
    setErrors(found)
    if (!checked.ok || Object.keys(found).length > 0) return
    if (existing.length > 0 && !duplicateAccepted) return
    const id = addPatient(directory, checked.fields, actor, clock)
    setIdentity(null)
    setDuplicateAccepted(false)
    props.onChange(id)
  }
  const errorText = (field: PatientField) => {
    const issue = errors[field]
    return issue ? issueText(issue, translator) : undefined
  }

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
                    {p.birthDate ? <span className="picker__detail"> · {formatDateText(p.birthDate)}</span> : null}
                  </button>
                </li>
              ))}
            </ul>
          ) : deferred.trim() !== '' ? (
            // A birth date typed in part ('12/0') may still find someone: not « aucun » yet.
            <p className="picker__none">{isIncompleteDate(deferred) ? t('agendaUi.patient.dateInProgress') : t('agendaUi.patient.noMatch')}</p>
          ) : null}
          {identity !== null ? (
            <div className="picker__new" role="group" aria-label={t('agendaUi.patient.new')}>
              <TextField
                name="newBirthName"
                label={t('patient.birthName')}
                value={identity.birthName}
                maxLength={TEXT_LIMITS.patient.birthName}
                onChange={(event) => edit({ birthName: event.currentTarget.value })}
                error={errorText('birthName')}
              />
              <TextField
                name="newFirstNames"
                label={t('patient.givenNames')}
                value={identity.firstNames}
                maxLength={TEXT_LIMITS.patient.firstNames}
                onChange={(event) => edit({ firstNames: event.currentTarget.value })}
                error={errorText('firstNames')}
              />
              <DateField
                label={t('patient.birthDate')}
                hint={t('agendaUi.patient.birthDateHint')}
                value={identity.birthDate}
                onValueChange={(date) => edit({ birthDate: date ?? '' })}
                twoDigitYears={{ mode: 'past', reference: today }}
                max={today}
                error={errorText('birthDate')}
              />
              <TextField
                name="newPhone"
                type="tel"
                label={t('patient.phone')}
                value={identity.phone}
                onChange={(event) => edit({ phone: event.currentTarget.value })}
                error={errorText('phone')}
              />
              {existing.length > 0 ? (
                <div className="picker__existing" role="alert">
                  <p>{t('agendaUi.patient.exists')}</p>
                  <ul className="picker__matches" aria-label={t('agendaUi.patient.existing')}>
                    {existing.map((p) => (
                      <li key={p.id}>
                        <button type="button" className="button picker__match" onClick={() => props.onChange(p.id)}>
                          {t('agendaUi.patient.chooseExisting', { name: patientDisplayName(p), date: formatDateText(p.birthDate ?? '') })}
                        </button>
                      </li>
                    ))}
                  </ul>
                  <label className="picker__anyway">
                    <input type="checkbox" checked={duplicateAccepted} onChange={(event) => setDuplicateAccepted(event.currentTarget.checked)} />
                    <span>{t('agendaUi.patient.createAnyway')}</span>
                  </label>
                </div>
              ) : null}
              <div className="form__actions">
                <button
                  type="button"
                  className="button button--primary"
                  onClick={create}
                  disabled={existing.length > 0 && !duplicateAccepted}
                >
                  {t('agendaUi.patient.create')}
                </button>
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    setIdentity(null)
                    setErrors({})
                  }}
                >
                  {t('agendaUi.patient.cancelNew')}
                </button>
              </div>
            </div>
          ) : (
            <button type="button" className="button" onClick={() => setIdentity(identityFromQuery(query, today))}>
              {t('agendaUi.patient.new')}
            </button>
          )}
        </>
      )}
    </fieldset>
  )
}
