import type { ColumnMapping, ImportTarget } from '../../../import/csv-columns'
import { IMPORT_TARGETS, missingTargets, repeatedTargets } from '../../../import/csv-columns'
import type { CsvTable } from '../../../import/csv-table'
import { useT } from '../../../i18n'
import { FormAlert } from '../../form/form-alert'
import { targetLabel } from './import-text'

/**
 * The mapping screen: one row per column of the file, its header, the first row's cell, and the
 * patient field it feeds (chosen from the headers, changeable). The dry run waits for a mapping
 * that names the patient and gives each field one column (phones excepted).
 */
export function ImportMapping(props: {
  table: CsvTable
  mapping: ColumnMapping
  onChange: (mapping: ColumnMapping) => void
  onCheck: () => void
  onOtherFile: () => void
}) {
  const translator = useT()
  const { t } = translator
  const { table, mapping } = props
  const sample = table.rows[0]?.cells ?? []
  const missing = missingTargets(mapping)
  const repeated = repeatedTargets(mapping)
  const list = (targets: readonly ImportTarget[]) => targets.map((target) => targetLabel(target, translator)).join(', ')
  const choose = (column: number, value: string) => {
    const target = (IMPORT_TARGETS as readonly string[]).includes(value) ? (value as ImportTarget) : null
    props.onChange(mapping.map((m, i) => (i === column ? target : m)))
  }
  return (
    <div className="form">
      <h3>{t('settings.import.mapping')}</h3>
      <p className="field__hint">{t('settings.import.mapping.hint')}</p>
      <table className="import__mapping">
        <thead>
          <tr>
            <th scope="col">{t('settings.import.mapping.header')}</th>
            <th scope="col">{t('settings.import.mapping.sample')}</th>
            <th scope="col">{t('settings.import.mapping.target')}</th>
          </tr>
        </thead>
        <tbody>
          {table.headers.map((header, column) => (
            <tr key={column}>
              <th scope="row">{header || t('settings.import.column', { column: column + 1 })}</th>
              <td>{sample[column] ?? ''}</td>
              <td>
                <select
                  className="field__control"
                  aria-label={t('settings.import.mapping.for', { header: header || t('settings.import.column', { column: column + 1 }) })}
                  value={mapping[column] ?? ''}
                  onChange={(event) => choose(column, event.target.value)}
                >
                  <option value="">{t('settings.import.mapping.none')}</option>
                  {IMPORT_TARGETS.map((target) => (
                    <option key={target} value={target}>
                      {targetLabel(target, translator)}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {missing.length > 0 ? <FormAlert>{t('settings.import.mapping.missing', { fields: list(missing) })}</FormAlert> : null}
      {repeated.length > 0 ? <FormAlert>{t('settings.import.mapping.repeated', { fields: list(repeated) })}</FormAlert> : null}
      <div className="form__actions">
        <button className="button button--primary" type="button" disabled={missing.length > 0 || repeated.length > 0} onClick={props.onCheck}>
          {t('settings.import.check')}
        </button>
        <button className="button" type="button" onClick={props.onOtherFile}>
          {t('settings.import.otherFile')}
        </button>
      </div>
    </div>
  )
}
