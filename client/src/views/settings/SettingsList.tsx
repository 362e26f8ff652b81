import { Fragment, useId, useState } from 'react'
import type { ReactNode } from 'react'
import { FormAlert, FormNotice } from '../form/form-alert'
import './settings-lists.css'

/** What a row's action or a form did, said once for the whole list (the last one replaces it). */
export type ListOutcome = { notice: string } | { failure: string }

/**
 * A list of Réglages records that are edited in place, added, and set aside without being deleted
 * (practitioners deactivated, appointment kinds retired): the records in use with their rows, the
 * one being edited as its form, the « add » button or the new record's form, then those set
 * aside, and one notice or failure for the whole list. The section reads the records and renders
 * each row and form; this owns which one is being edited and what was said last.
 */
export function SettingsList<T extends { readonly id: string; readonly active: boolean }>(props: {
  readonly items: readonly T[]
  readonly title: string
  readonly hint?: string
  /** Names the lists (aria-label and the heading of those set aside) and the add button. */
  readonly labels: { readonly active: string; readonly inactive: string; readonly add: string }
  /** The form of `item` (null: a new one); `onDone` closes it with what to say. */
  readonly renderForm: (item: T | null, onDone: (notice: string) => void) => ReactNode
  /** A row; `onEdit` is null for those set aside (they are not edited). */
  readonly renderRow: (item: T, onEdit: (() => void) | null, onOutcome: (outcome: ListOutcome) => void) => ReactNode
}) {
  const { items, labels, renderForm, renderRow } = props
  const titleId = useId()
  const [editing, setEditing] = useState<string | 'new' | null>(null)
  const [notice, setNotice] = useState('')
  const [failure, setFailure] = useState<string | null>(null)
  const report = (outcome: ListOutcome) => {
    setNotice('notice' in outcome ? outcome.notice : '')
    setFailure('failure' in outcome ? outcome.failure : null)
  }
  const edit = (id: string | 'new') => {
    setEditing(id)
    report({ notice: '' })
  }
  const done = (message: string) => {
    setEditing(null)
    report({ notice: message })
  }
  const active = items.filter((item) => item.active)
  const inactive = items.filter((item) => !item.active)

  return (
    <section className="card settings-list" aria-labelledby={titleId}>
      <h2 id={titleId}>{props.title}</h2>
      {props.hint ? <p className="field__hint">{props.hint}</p> : null}
      <ul className="settings-list__items" aria-label={labels.active}>
        {active.map((item) =>
          editing === item.id ? <li key={item.id}>{renderForm(item, done)}</li> : <Fragment key={item.id}>{renderRow(item, () => edit(item.id), report)}</Fragment>,
        )}
      </ul>
      {editing === 'new' ? (
        renderForm(null, done)
      ) : (
        <button type="button" className="button" onClick={() => edit('new')}>
          {labels.add}
        </button>
      )}
      {inactive.length > 0 ? (
        <>
          <h3>{labels.inactive}</h3>
          <ul className="settings-list__items" aria-label={labels.inactive}>
            {inactive.map((item) => (
              <Fragment key={item.id}>{renderRow(item, null, report)}</Fragment>
            ))}
          </ul>
        </>
      ) : null}
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <FormNotice>{notice}</FormNotice>
    </section>
  )
}
