import { useEffect, useId, useRef, useState } from 'react'
import { version } from '../../../../package.json'
import { todayIn } from '../../../../shared/src/model/dates'
import { exportPractice, ExportCancelledError, type ExportProgress } from '../../export/export-practice'
import { practiceExportSource } from '../../export/practice-export-source'
import { BlobCollector, blobSpool } from '../../export/spool'
import { safeFileName } from '../../export/zip-writer'
import { useT } from '../../i18n'
import { usePractice, usePracticeSettings } from '../../state'
import { describeError } from '../form/describe-error'
import { FormAlert, FormNotice } from '../form/form-alert'

/** The section's lifecycle: one state at a time, transitions in `start` and its outcome. */
type ExportState =
  | { stage: 'idle' }
  | { stage: 'running'; progress: ExportProgress | null; controller: AbortController }
  | { stage: 'done'; url: string; fileName: string; clinical: boolean; missing: number }
  | { stage: 'cancelled' }
  | { stage: 'failed'; message: string }

/**
 * « Exporter le cabinet »: the whole practice as this device holds it, in one zip of open formats
 * (client/src/export/, docs/export.md), built on the device — offline too — and downloaded
 * through an object URL. Administrators only; a secretary's device exports what its role holds.
 */
export function ExportSection(props: { mayExport: boolean }) {
  const translator = useT()
  const { t } = translator
  const { space, clock } = usePractice()
  const settings = usePracticeSettings()
  const titleId = useId()
  const [state, setState] = useState<ExportState>({ stage: 'idle' })
  const link = useRef<HTMLAnchorElement>(null)
  const doneUrl = state.stage === 'done' ? state.url : null
  // The archive's object URL lives while it is offered, and goes with the section.
  useEffect(() => (doneUrl ? () => URL.revokeObjectURL(doneUrl) : undefined), [doneUrl])
  // The download starts on its own once the archive is ready; the link stays to download it again.
  useEffect(() => {
    if (doneUrl) link.current?.click()
  }, [doneUrl])

  async function start() {
    const controller = new AbortController()
    setState({ stage: 'running', progress: null, controller })
    // The archive as a Blob, folded as it comes: the page's heap never holds it whole.
    const archive = new BlobCollector()
    let source: Awaited<ReturnType<typeof practiceExportSource>> | null = null
    try {
      source = await practiceExportSource(space)
      const now = clock()
      const manifest = await exportPractice(source, {
        now,
        appVersion: version,
        sink: archive.sink,
        spool: blobSpool,
        signal: controller.signal,
        onProgress: (progress) => setState((s) => (s.stage === 'running' && s.controller === controller ? { ...s, progress } : s)),
      })
      const blob = archive.blob('application/zip')
      const day = todayIn(manifest.timeZone, clock)
      setState({
        stage: 'done',
        url: URL.createObjectURL(blob),
        fileName: `${safeFileName(`tournee-${manifest.practice}`, 'tournee')}-${day}.zip`,
        clinical: manifest.clinical,
        missing: manifest.counts.attachmentsMissing,
      })
    } catch (error) {
      setState(error instanceof ExportCancelledError ? { stage: 'cancelled' } : { stage: 'failed', message: describeError(error, translator) })
    } finally {
      source?.release()
    }
  }

  const running = state.stage === 'running'
  const progress = running ? state.progress : null
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('settings.export')}</h2>
      <p>{t('settings.export.hint')}</p>
      {!props.mayExport ? (
        <p>{t('settings.export.notAdmin')}</p>
      ) : (
        <div className="form">
          {space.readsClinical ? null : <p className="field__hint">{t('settings.export.secretariat')}</p>}
          {state.stage === 'failed' ? <FormAlert>{state.message}</FormAlert> : null}
          {state.stage === 'cancelled' ? <FormNotice>{t('settings.export.cancelled')}</FormNotice> : null}
          {state.stage === 'done' ? (
            <FormNotice>
              {t('settings.export.done')}{' '}
              <a ref={link} href={state.url} download={state.fileName}>
                {t('settings.export.download', { name: state.fileName })}
              </a>
              {state.missing > 0 ? <> {translator.plural('settings.export.missing', state.missing)}</> : null}
            </FormNotice>
          ) : null}
          {running ? (
            <>
              <label className="field">
                <span className="field__label">{t(progress ? `settings.export.phase.${progress.phase}` : 'settings.export.phase.directory')}</span>
                <progress value={progress?.done ?? 0} max={progress?.total ?? 1} aria-label={t('settings.export.progress')} />
              </label>
              <div className="form__actions">
                <button className="button" type="button" onClick={() => state.controller.abort()}>
                  {t('settings.export.cancel')}
                </button>
              </div>
            </>
          ) : (
            <div className="form__actions">
              <button className="button button--primary" type="button" disabled={!settings} onClick={() => void start()}>
                {t('settings.export.start')}
              </button>
            </div>
          )}
        </div>
      )}
    </section>
  )
}
