import { useEffect } from 'react'
import { useT } from '../../i18n'

/** How long « Annuler » stays offered after a change. */
export const UNDO_MS = 8000

/**
 * The toast after a quick change: what was done, and « Annuler » for a few seconds. Announced
 * politely (aria-live) without taking the focus from where the practitioner's finger is.
 */
export function UndoToast(props: { message: string; onUndo: () => void; onDismiss: () => void }) {
  const { t } = useT()
  const { onDismiss } = props
  useEffect(() => {
    const timer = setTimeout(onDismiss, UNDO_MS)
    return () => clearTimeout(timer)
  }, [onDismiss, props.message])
  return (
    <div className="toast" aria-live="polite">
      <span className="toast__text">{props.message}</span>
      <button type="button" className="button toast__undo" onClick={props.onUndo}>
        {t('agendaUi.undo')}
      </button>
      <button type="button" className="button button--quiet toast__close" onClick={onDismiss} aria-label={t('agendaUi.undo.dismiss')}>
        ×
      </button>
    </div>
  )
}
