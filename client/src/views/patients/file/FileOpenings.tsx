import { useId, useMemo } from 'react'
import { useT } from '../../../i18n'
import { useDeviceLabels, useFileOpenings, usePractice, usePractitioners } from '../../../state'
import { openingText } from './opening-text'

/**
 * « Consultations du dossier »: who opened this patient's file (and the files merged into it), from
 * which device and when, newest first. Shown to every member for now; the roles of issue 19 must
 * hide it from a secretary's device (which will not hold the clinical keys this log is under).
 */
export function FileOpenings(props: { members: readonly string[] }) {
  const translator = useT()
  const { t } = translator
  const { record } = usePractice()
  const { entries, complete } = useFileOpenings(props.members)
  const practitioners = usePractitioners()
  const deviceNames = useDeviceLabels()
  const names = useMemo(() => new Map((practitioners ?? []).map((p) => [p.id, p.displayName])), [practitioners])
  const titleId = useId()
  const hintId = useId()

  return (
    <section className="clinical__section" aria-labelledby={titleId} aria-describedby={hintId}>
      <h3 id={titleId}>{t('file.openings')}</h3>
      <p className="field__hint" id={hintId}>
        {t('file.openings.hint')}
      </p>
      {entries.length === 0 ? (
        complete ? <p className="empty">{t('file.openings.none')}</p> : <p>{t('app.loading')}</p>
      ) : (
        <ol className="openings" aria-label={t('file.openings')}>
          {entries.map((entry, index) => (
            <li key={`${entry.at}-${entry.by.deviceId}-${index}`} className="openings__item">
              {openingText(entry, names, record.deviceId, translator, deviceNames)}
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
