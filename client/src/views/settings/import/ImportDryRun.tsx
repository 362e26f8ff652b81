import type { DryRun, PlannedKind } from '../../../import/csv-dry-run'
import { useT } from '../../../i18n'
import { plannedRowText } from './import-text'

const COUNTS = [
  ['create', 'settings.import.count.create'],
  ['invalid', 'settings.import.count.invalid'],
  ['existing', 'settings.import.count.existing'],
  ['repeated', 'settings.import.count.repeated'],
] as const satisfies readonly (readonly [PlannedKind, string])[]

/** Rows to create beyond this are folded, so a 3,000-row file does not bury the problems. */
const OPEN_LIMIT = 50

/**
 * The dry run, row by row: the rows that will not be imported (and why) first, then those that
 * will be created. Nothing is written until « Importer ».
 */
export function ImportDryRun(props: { run: DryRun; onRun: () => void; onBack: () => void }) {
  const translator = useT()
  const { t } = translator
  const { run } = props
  const problems = run.rows.filter((r) => r.kind !== 'create')
  const creates = run.rows.filter((r) => r.kind === 'create')
  return (
    <div className="form">
      <h3>{t('settings.import.dryRun')}</h3>
      <p className="field__hint">{t('settings.import.dryRun.hint')}</p>
      <ul aria-label={t('settings.import.dryRun')}>
        {COUNTS.filter(([kind]) => run.counts[kind] > 0).map(([kind, key]) => (
          <li key={kind}>{translator.plural(key, run.counts[kind])}</li>
        ))}
      </ul>
      {problems.length > 0 ? (
        <>
          <h4>{t('settings.import.rows.problems')}</h4>
          <ul className="import__rows" aria-label={t('settings.import.rows.problems')}>
            {problems.map((row) => (
              <li key={row.line} className={`import__row import__row--${row.kind}`}>
                {plannedRowText(row, translator)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {creates.length > 0 ? (
        <details open={creates.length <= OPEN_LIMIT}>
          <summary>{t('settings.import.rows.create')}</summary>
          <ul className="import__rows" aria-label={t('settings.import.rows.create')}>
            {creates.map((row) => (
              <li key={row.line} className="import__row">
                {plannedRowText(row, translator)}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      <div className="form__actions">
        <button className="button button--primary" type="button" disabled={run.counts.create === 0} onClick={props.onRun}>
          {translator.plural('settings.import.run', run.counts.create)}
        </button>
        <button className="button" type="button" onClick={props.onBack}>
          {t('settings.import.backToMapping')}
        </button>
      </div>
    </div>
  )
}
