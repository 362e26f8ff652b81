import { useId, useState, type ChangeEvent } from 'react'
import { DIRECTORY_DOC_ID, todayIn } from '../../../../shared/src/model'
import { ArchiveImportError } from '../../import/archive-error'
import { readArchive, type ArchivePlan } from '../../import/archive-read'
import { unzipArchive } from '../../import/archive-unzip'
import { practiceIsNew, writeArchive, type ImportProgress } from '../../import/archive-write'
import { useT } from '../../i18n'
import { useActor, usePractice, usePracticeSettings } from '../../state'
import { describeError } from '../form/describe-error'
import { FormAlert, FormNotice } from '../form/form-alert'

/** The section's lifecycle: one state at a time. */
type ImportState =
  | { stage: 'idle' }
  | { stage: 'reading' }
  | { stage: 'ready'; plan: ArchivePlan; fileName: string; isNew: boolean }
  | { stage: 'writing'; progress: ImportProgress | null }
  | { stage: 'done'; patients: number; appointments: number }
  | { stage: 'failed'; message: string }

/**
 * « Réimporter une exportation »: Tournée's own export archive (client/src/import/archive-*,
 * docs/export.md) into a new practice. The whole archive is read and checked first and shown as a
 * preview; nothing is written before « Importer » — and nothing at all when a line is wrong, the
 * error naming the file, the line and the field. The plan holds the counts and the archive's
 * files: the records are read from the zip again as they are written.
 */
export function ImportArchiveSection(props: { mayImport: boolean }) {
  const translator = useT()
  const { t } = translator
  const { space, docs, clock } = usePractice()
  const actor = useActor()
  const settings = usePracticeSettings()
  const titleId = useId()
  const [state, setState] = useState<ImportState>({ stage: 'idle' })

  const describe = (error: unknown) => {
    if (!(error instanceof ArchiveImportError)) return describeError(error, translator)
    const { file, line, field } = error.where
    const where = [file, line === undefined ? '' : t('settings.importArchive.line', { line }), field === undefined ? '' : t('settings.importArchive.field', { field })].filter(Boolean).join(', ')
    return `${t(`settings.importArchive.problem.${error.problem}`)}${where ? ` — ${where}` : ''} : ${error.detail}`
  }

  async function choose(event: ChangeEvent<HTMLInputElement>) {
    const file = event.currentTarget.files?.[0]
    if (!file) return
    setState({ stage: 'reading' })
    try {
      const bytes = new Uint8Array(await file.arrayBuffer())
      const directory = await docs.open(DIRECTORY_DOC_ID)
      const plan = readArchive(unzipArchive(bytes), todayIn(settings?.timeZone ?? 'Europe/Paris', clock))
      setState({ stage: 'ready', plan, fileName: file.name, isNew: practiceIsNew(directory) })
    } catch (error) {
      setState({ stage: 'failed', message: describe(error) })
    }
  }

  async function write(plan: ArchivePlan, fileName: string) {
    setState({ stage: 'writing', progress: null })
    try {
      const directory = await docs.open(DIRECTORY_DOC_ID)
      const attachments = space.attachments
      await writeArchive(
        plan,
        { directory, openDoc: (docId) => docs.open(docId), storeAttachment: attachments ? (bytes) => attachments.add(bytes) : null },
        actor,
        clock,
        { fileName, onProgress: (progress) => setState({ stage: 'writing', progress }) },
      )
      setState({ stage: 'done', patients: plan.counts.patients, appointments: plan.counts.appointments })
    } catch (error) {
      setState({ stage: 'failed', message: describe(error) })
    }
  }

  const counts = (plan: ArchivePlan) =>
    [
      ['settings.importArchive.count.practitioners', plan.practitioners.length],
      ['settings.importArchive.count.patients', plan.counts.patients],
      ['settings.importArchive.count.appointments', plan.counts.appointments],
      ['settings.importArchive.count.series', plan.series.length],
      ['settings.importArchive.count.prescriptions', plan.counts.prescriptions],
      ['settings.importArchive.count.notes', plan.counts.notes],
      ['settings.importArchive.count.attachments', plan.counts.attachments],
    ] as const
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('settings.importArchive')}</h2>
      <p>{t('settings.importArchive.hint')}</p>
      {!props.mayImport ? (
        <p>{t('settings.importArchive.notAdmin')}</p>
      ) : (
        <div className="form">
          <label className="field">
            <span className="field__label">{t('settings.importArchive.file')}</span>
            <input type="file" accept=".zip,application/zip" disabled={state.stage === 'reading' || state.stage === 'writing'} onChange={(e) => void choose(e)} />
          </label>
          {state.stage === 'failed' ? <FormAlert>{state.message}</FormAlert> : null}
          {state.stage === 'reading' ? <FormNotice>{t('settings.importArchive.reading')}</FormNotice> : null}
          {state.stage === 'ready' ? (
            <>
              <p>{t('settings.importArchive.preview', { name: state.fileName, date: state.plan.exportedAt.slice(0, 10) })}</p>
              <ul aria-label={t('settings.importArchive.previewList')}>
                {counts(state.plan).map(([key, n]) => (
                  <li key={key}>{translator.plural(key, n)}</li>
                ))}
              </ul>
              {state.plan.attachmentsMissing > 0 ? <p className="field__hint">{translator.plural('settings.importArchive.missing', state.plan.attachmentsMissing)}</p> : null}
              {state.isNew ? null : <FormAlert>{t('settings.importArchive.notNew')}</FormAlert>}
              <div className="form__actions">
                <button className="button button--primary" type="button" disabled={!state.isNew} onClick={() => void write(state.plan, state.fileName)}>
                  {t('settings.importArchive.start')}
                </button>
              </div>
            </>
          ) : null}
          {state.stage === 'writing' ? (
            <label className="field">
              <span className="field__label">{t('settings.importArchive.writing')}</span>
              <progress value={state.progress?.done ?? 0} max={state.progress?.total ?? 1} aria-label={t('settings.importArchive.progress')} />
            </label>
          ) : null}
          <FormNotice>{state.stage === 'done' ? t('settings.importArchive.done', { patients: state.patients, appointments: state.appointments }) : null}</FormNotice>
        </div>
      )}
    </section>
  )
}
