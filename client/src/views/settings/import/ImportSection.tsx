import { useId, useState } from 'react'
import type { ChangeEvent } from 'react'
import { listPatients } from '../../../../../shared/src/model'
import { todayIn } from '../../../../../shared/src/model/dates'
import { autoMapColumns } from '../../../import/csv-columns'
import type { ColumnMapping } from '../../../import/csv-columns'
import { planImport } from '../../../import/csv-dry-run'
import type { DryRun } from '../../../import/csv-dry-run'
import { CsvFileError, readCsvTable } from '../../../import/csv-table'
import type { CsvTable } from '../../../import/csv-table'
import { importPatients } from '../../../import/import-batch'
import type { ImportProgress } from '../../../import/import-batch'
import { useT } from '../../../i18n'
import { useActor, useDirectory, usePractice } from '../../../state'
import { describeError } from '../../form/describe-error'
import { FormAlert, FormNotice } from '../../form/form-alert'
import { ImportDryRun } from './ImportDryRun'
import { ImportHistory } from './ImportHistory'
import { ImportMapping } from './ImportMapping'
import { csvFileErrorText, tableSummaryText } from './import-text'
import './import.css'

type Chosen = { readonly fileName: string; readonly table: CsvTable }

/** The section's lifecycle: one state at a time; each handler below moves it on. */
type ImportState =
  | { stage: 'choose'; failure: string | null }
  | { stage: 'reading' }
  | { stage: 'mapping'; chosen: Chosen; mapping: ColumnMapping }
  | { stage: 'dryRun'; chosen: Chosen; mapping: ColumnMapping; run: DryRun }
  | { stage: 'running'; chosen: Chosen; progress: ImportProgress; controller: AbortController }
  | { stage: 'done'; created: number; stopped: boolean }
  | { stage: 'failed'; message: string }

/**
 * « Réglages › Importer des patients »: a CSV file from another program, read on the device
 * (client/src/import/, docs/import.md): columns mapped, a dry run row by row, then the patients
 * created in batches with progress; each import can be undone from the list below, on any device.
 */
export function ImportSection() {
  const translator = useT()
  const { t, timeZone } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const directory = useDirectory()
  const titleId = useId()
  const fileId = useId()
  const [state, setState] = useState<ImportState>({ stage: 'choose', failure: null })

  async function choose(event: ChangeEvent<HTMLInputElement>) {
    const input = event.currentTarget
    const file = input.files?.[0]
    // Cleared, so that choosing the same file again (after fixing it) reads it again.
    input.value = ''
    if (!file) return
    setState({ stage: 'reading' })
    try {
      const table = readCsvTable(new Uint8Array(await file.arrayBuffer()))
      setState({ stage: 'mapping', chosen: { fileName: file.name, table }, mapping: autoMapColumns(table.headers) })
    } catch (error) {
      setState({ stage: 'choose', failure: error instanceof CsvFileError ? csvFileErrorText(error, translator) : describeError(error, translator) })
    }
  }

  function check(chosen: Chosen, mapping: ColumnMapping) {
    if (!directory) return
    const existing = listPatients(directory, { includeArchived: true }).items
    const run = planImport(chosen.table, mapping, existing, todayIn(timeZone, clock))
    setState({ stage: 'dryRun', chosen, mapping, run })
  }

  async function run(chosen: Chosen, plan: DryRun) {
    if (!directory) return
    const controller = new AbortController()
    const rows = plan.rows.flatMap((row) => (row.kind === 'create' ? [row.fields] : []))
    setState({ stage: 'running', chosen, progress: { done: 0, total: rows.length }, controller })
    try {
      const outcome = await importPatients(directory, rows, {
        source: 'patients-csv',
        fileName: chosen.fileName,
        actor,
        clock,
        signal: controller.signal,
        onProgress: (progress) => setState((s) => (s.stage === 'running' && s.controller === controller ? { ...s, progress } : s)),
      })
      setState({ stage: 'done', created: outcome.created, stopped: outcome.stopped })
    } catch (error) {
      setState({ stage: 'failed', message: describeError(error, translator) })
    }
  }

  const restart = () => setState({ stage: 'choose', failure: null })
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('settings.import')}</h2>
      <p>{t('settings.import.hint')}</p>
      {state.stage === 'choose' || state.stage === 'done' || state.stage === 'failed' ? (
        <div className="form">
          {state.stage === 'choose' && state.failure ? <FormAlert>{state.failure}</FormAlert> : null}
          {state.stage === 'failed' ? <FormAlert>{state.message}</FormAlert> : null}
          {state.stage === 'done' ? (
            <FormNotice>{translator.plural(state.stopped ? 'settings.import.stopped' : 'settings.import.done', state.created)}</FormNotice>
          ) : null}
          <label className="field" htmlFor={fileId}>
            <span className="field__label">{t('settings.import.file')}</span>
            <input id={fileId} className="field__control" type="file" accept=".csv,.txt,text/csv,text/plain" disabled={!directory} onChange={(e) => void choose(e)} />
          </label>
        </div>
      ) : null}
      {state.stage === 'reading' ? <p>{t('settings.import.reading')}</p> : null}
      {state.stage === 'mapping' ? (
        <>
          <p>{tableSummaryText(state.chosen.table, translator)}</p>
          <ImportMapping
            table={state.chosen.table}
            mapping={state.mapping}
            onChange={(mapping) => setState({ ...state, mapping })}
            onCheck={() => check(state.chosen, state.mapping)}
            onOtherFile={restart}
          />
        </>
      ) : null}
      {state.stage === 'dryRun' ? (
        <ImportDryRun
          run={state.run}
          onRun={() => void run(state.chosen, state.run)}
          onBack={() => setState({ stage: 'mapping', chosen: state.chosen, mapping: state.mapping })}
        />
      ) : null}
      {state.stage === 'running' ? (
        <div className="form">
          <label className="field">
            <span className="field__label">{t('settings.import.running', { done: state.progress.done, total: state.progress.total })}</span>
            <progress value={state.progress.done} max={Math.max(1, state.progress.total)} aria-label={t('settings.import.progress')} />
          </label>
          <div className="form__actions">
            <button className="button" type="button" onClick={() => state.controller.abort()}>
              {t('settings.import.stop')}
            </button>
          </div>
        </div>
      ) : null}
      <ImportHistory />
    </section>
  )
}
