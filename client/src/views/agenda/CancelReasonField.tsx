import { useId } from 'react'
import { LIMITS } from '../../../../shared/src/model/field-schemas'
import { useT } from '../../i18n'

/** The model's limit on a cancellation reason (appointment `cancelReason`: a line of text). */
export const CANCEL_REASON_MAX = LIMITS.line

/**
 * The cancellation reason, with its limit shown before it is hit: a counter « 12 / 200 » under
 * the field, and the field stops at the limit. An error (set by the caller) says the limit too.
 */
export function CancelReasonField(props: { value: string; onChange: (value: string) => void; error: string | undefined }) {
  const { t } = useT()
  const id = useId()
  const counterId = `${id}-count`
  const errorId = `${id}-error`
  const near = props.value.length >= CANCEL_REASON_MAX - 20
  return (
    <div className={props.error ? 'field field--invalid' : 'field'}>
      <label className="field__label" htmlFor={id}>
        {t('agendaUi.cancel.reason')}
      </label>
      <input
        id={id}
        className="field__control"
        name="cancelReason"
        type="text"
        maxLength={CANCEL_REASON_MAX}
        value={props.value}
        onChange={(event) => props.onChange(event.currentTarget.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${counterId} ${errorId}` : counterId}
      />
      <p className={near ? 'field__hint field__counter field__counter--near' : 'field__hint field__counter'} id={counterId}>
        {t('agendaUi.cancel.counter', { length: props.value.length, max: CANCEL_REASON_MAX })}
      </p>
      {props.error ? (
        <p className="field__error" id={errorId}>
          {props.error}
        </p>
      ) : null}
    </div>
  )
}
