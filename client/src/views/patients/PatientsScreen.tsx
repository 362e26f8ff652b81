import { useDeferredValue, useId, useState } from 'react'
import type { KeyboardEvent } from 'react'
import { isIncompleteDate } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { usePatientSearch } from '../../state'
import { DirectoryDigestBanner } from '../sync/DirectoryDigestBanner'
import { AddPatientForm } from './AddPatientForm'
import { DuplicateBanner } from './DuplicateBanner'
import { VirtualPatientList } from './VirtualPatientList'

/** The patient index: one search field, the ranked (windowed) list, and a form to add a patient. */
export function PatientsScreen() {
  const { t, plural } = useT()
  const filterHintId = useId()
  const [query, setQuery] = useState('')
  const [includeArchived, setIncludeArchived] = useState(false)
  const [focusRequest, setFocusRequest] = useState(0)
  const deferredQuery = useDeferredValue(query)
  const { patients, duplicates } = usePatientSearch(deferredQuery, includeArchived)

  function onSearchKey(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key !== 'ArrowDown') return
    event.preventDefault()
    setFocusRequest((n) => n + 1)
  }

  return (
    <div className="patients">
      <section className="patients__list">
        <h1>{t('patients.title')}</h1>
        <DirectoryDigestBanner />
        {(duplicates ?? []).map((pair) => (
          <DuplicateBanner key={`${pair.keep.id}-${pair.drop.id}`} pair={pair} />
        ))}
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
            onKeyDown={onSearchKey}
            aria-describedby={filterHintId}
            autoComplete="off"
          />
          <p className="field__hint" id={filterHintId}>
            {t('patients.filter.hint')}
          </p>
        </div>
        <label className="check">
          <input type="checkbox" checked={includeArchived} onChange={(event) => setIncludeArchived(event.currentTarget.checked)} />
          <span>{t('patients.showArchived')}</span>
        </label>
        {patients === null ? (
          <p>{t('app.loading')}</p>
        ) : patients.length === 0 ? (
          <p className="empty">
            {query.trim() === ''
              ? t('patients.empty')
              : // A birth date typed in part ('12/0') may still find someone: not « aucun patient » yet.
                isIncompleteDate(deferredQuery)
                ? t('patients.dateInProgress')
                : t('patients.noMatch', { query })}
          </p>
        ) : (
          <>
            <p className="patients__count" aria-live="polite">
              {plural('patients.count', patients.length)}
            </p>
            <VirtualPatientList patients={patients} label={t('patients.listLabel')} focusRequest={focusRequest} resetKey={`${deferredQuery}/${includeArchived}`} />
          </>
        )}
      </section>
      <AddPatientForm />
    </div>
  )
}
