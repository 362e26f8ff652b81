import { useId } from 'react'
import type { Practitioner } from '../../../../shared/src/model'
import { useT } from '../../i18n'

/**
 * Which practitioners' columns this device shows, in a compact popover (a disclosure): the
 * toolbar keeps one line however many practitioners the practice has.
 */
export function PractitionerPicker(props: {
  practitioners: readonly Practitioner[]
  hidden: readonly string[]
  onToggle: (id: string, visible: boolean) => void
}) {
  const { t } = useT()
  const { practitioners, hidden } = props
  const listId = useId()
  const shown = practitioners.filter((p) => !hidden.includes(p.id)).length
  return (
    <details className="popover agenda__columns">
      <summary className="button" aria-controls={listId}>
        {t('agendaUi.columnsButton', { shown, total: practitioners.length })}
      </summary>
      <fieldset className="popover__panel" id={listId}>
        <legend>{t('agendaUi.columns')}</legend>
        {practitioners.map((p) => (
          <label key={p.id} className="checkbox" style={{ borderColor: p.colour }}>
            <input type="checkbox" checked={!hidden.includes(p.id)} onChange={(event) => props.onToggle(p.id, event.currentTarget.checked)} />
            <span>{p.displayName}</span>
          </label>
        ))}
      </fieldset>
    </details>
  )
}
