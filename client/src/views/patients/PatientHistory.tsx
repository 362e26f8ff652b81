import { useCallback, useId, useState } from 'react'
import type * as Y from 'yjs'
import { fromInstant, patientHistory, restorePatientField } from '../../../../shared/src/model'
import type { ChangeEntry, FieldChange, Practitioner } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useActor, useDeviceLabels, useDocSnapshot, usePractice, usePractitioners } from '../../state'
import { describeError } from '../form/describe-error'
import { FormAlert } from '../form/form-alert'
import { deviceText, historyEventKey, historyFieldLabel, historyValueText } from './history-text'

/** Fields a restore may write: the merge pointer is the merge's own business. */
const NOT_RESTORABLE = new Set(['mergedInto'])

/**
 * Who changed what on this patient (and on patients merged into it), newest first, with the
 * previous value and a "Restaurer" button that writes it back as a new change.
 */
export function PatientHistory(props: { directory: Y.Doc; patientId: string }) {
  const translator = useT()
  const { t } = translator
  const { directory, patientId } = props
  const read = useCallback((doc: Y.Doc) => patientHistory(doc, patientId), [patientId])
  const entries = useDocSnapshot(directory, read)
  const practitioners = usePractitioners()
  const { clock } = usePractice()
  const actor = useActor()
  const titleId = useId()
  const [failure, setFailure] = useState<string | null>(null)

  function restore(change: FieldChange) {
    try {
      restorePatientField(directory, change, actor, clock)
      setFailure(null)
    } catch (error) {
      setFailure(describeError(error, translator))
    }
  }

  return (
    <section className="card history" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('history.title')}</h2>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      {entries === null ? (
        <p>{t('app.loading')}</p>
      ) : (
        <ol className="history__list" aria-label={t('history.title')}>
          {entries.map((entry, index) => (
            <HistoryItem
              key={`${entry.at}-${index}`}
              entry={entry}
              practitioners={practitioners ?? []}
              thisDevice={actor.deviceId}
              onRestore={entry.kind === 'change' && !NOT_RESTORABLE.has(entry.field) ? () => restore(entry) : null}
            />
          ))}
        </ol>
      )}
    </section>
  )
}

function HistoryItem(props: {
  entry: ChangeEntry
  practitioners: readonly Practitioner[]
  thisDevice: string
  onRestore: (() => void) | null
}) {
  const translator = useT()
  const { t, longDate, timeOf, timeZone } = translator
  const { entry, practitioners, thisDevice, onRestore } = props
  const labels = useDeviceLabels()
  const member = practitioners.find((p) => p.id === entry.by.memberId)?.displayName ?? entry.by.memberId
  const device = deviceText(entry.by.deviceId, thisDevice, labels, { device: 'history.device', thisDevice: 'history.thisDevice' }, translator)
  const when = t('history.when', { date: longDate(fromInstant(entry.at, timeZone).slice(0, 10)), time: timeOf(entry.at) })
  const field = entry.kind === 'change' ? historyFieldLabel(entry.field, translator) : ''
  const previous = entry.kind === 'change' ? historyValueText(entry.field, entry.previous, translator) : ''
  return (
    <li className="history__item">
      {entry.kind === 'change' ? (
        <p className="history__what">
          <strong>{field}</strong> : <span className="history__old">{previous}</span>
          <span> → </span>
          <span className="history__new">{historyValueText(entry.field, entry.value, translator)}</span>
        </p>
      ) : (
        <p className="history__what">
          <strong>{t(historyEventKey(entry))}</strong>
        </p>
      )}
      <p className="history__who">
        {when} · {member} · {device}
      </p>
      {onRestore ? (
        <button
          className="button history__restore"
          type="button"
          onClick={onRestore}
          aria-label={t('history.restoreField', { field, value: previous })}
        >
          {t('history.restore')}
        </button>
      ) : null}
    </li>
  )
}
