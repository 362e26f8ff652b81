import { useState } from 'react'
import { todayIn } from '../../../../../shared/src/model/dates'
import { listImportBatches } from '../../../import/import-batch'
import type { ImportBatch } from '../../../import/import-batch'
import { planUndo, undoImport, type UndoPlan, type UndoTarget } from '../../../import/import-undo'
import { useT } from '../../../i18n'
import { useActor, useDirectory, useDocSnapshot, usePractice } from '../../../state'
import { describeError } from '../../form/describe-error'
import { FormAlert, FormNotice } from '../../form/form-alert'
import { batchText, keptText, undoPlanText } from './import-text'

/**
 * The practice's imports — patients from a CSV, calendars, archives — from every device (the
 * records sync with the directory), each with « Annuler cet import »: the undo says first what it
 * deletes and what it keeps because the practice used it since, then does it on confirmation.
 */
export function ImportHistory() {
  const { t } = useT()
  const directory = useDirectory()
  const batches = useDocSnapshot(directory, listImportBatches)
  if (!batches || batches.length === 0) return null
  return (
    <>
      <h3>{t('settings.import.history')}</h3>
      <ul className="settings-list__items" aria-label={t('settings.import.history')}>
        {batches.map((batch) => (
          <ImportHistoryItem key={batch.id} batch={batch} />
        ))}
      </ul>
    </>
  )
}

type UndoState = { stage: 'idle' } | { stage: 'working' } | { stage: 'asking'; plan: UndoPlan } | { stage: 'done'; plan: UndoPlan } | { stage: 'failed'; message: string }

function ImportHistoryItem(props: { batch: ImportBatch }) {
  const translator = useT()
  const { t, timeZone } = translator
  const { clock, docs } = usePractice()
  const actor = useActor()
  const directory = useDirectory()
  const [undo, setUndo] = useState<UndoState>({ stage: 'idle' })
  const { batch } = props
  const when = (at: number) => `${translator.longDate(todayIn(timeZone, () => at))}, ${translator.timeOf(at)}`
  const details = [
    batchText(batch, when(batch.createdAt), translator),
    batch.finishedAt === undefined ? t('settings.import.history.unfinished') : null,
    batch.undoneAt !== undefined ? t('settings.import.history.undone', { date: when(batch.undoneAt) }) : null,
  ].filter(Boolean)

  const target = (): UndoTarget | null => (directory ? { directory, openDoc: (docId) => docs.open(docId) } : null)
  const run = async (stage: 'asking' | 'done', step: (target: UndoTarget) => Promise<UndoPlan>) => {
    const to = target()
    if (!to) return
    setUndo({ stage: 'working' })
    try {
      setUndo({ stage, plan: await step(to) })
    } catch (error) {
      setUndo({ stage: 'failed', message: describeError(error, translator) })
    }
  }
  const ask = () => void run('asking', (to) => planUndo(to, batch.id))
  const confirm = () => void run('done', (to) => undoImport(to, batch.id, actor, clock))
  const kept = (plan: UndoPlan) =>
    plan.keep.length === 0 ? null : (
      <>
        <p>{t('settings.import.undo.keep')}</p>
        <ul aria-label={t('settings.import.undo.keep')}>
          {plan.keep.map((k) => (
            <li key={k.id}>{keptText(k, translator)}</li>
          ))}
        </ul>
      </>
    )

  return (
    <li className="settings-list__row" aria-label={batch.fileName}>
      <span className="settings-list__main">{details.join(' — ')}</span>
      {undo.stage === 'idle' || undo.stage === 'failed' ? (
        <span className="settings-list__actions">
          <button className="button button--small button--danger" type="button" disabled={!directory} onClick={ask}>
            {t('settings.import.undo')}
          </button>
        </span>
      ) : null}
      {undo.stage === 'failed' ? <FormAlert>{undo.message}</FormAlert> : null}
      {undo.stage === 'asking' ? (
        <div className="form">
          <p>{undoPlanText(undo.plan, false, translator)}</p>
          {kept(undo.plan)}
          <div className="form__actions">
            {undo.plan.removeCount > 0 ? (
              <button className="button button--danger" type="button" onClick={confirm}>
                {t('settings.import.undo.confirm')}
              </button>
            ) : null}
            <button className="button" type="button" onClick={() => setUndo({ stage: 'idle' })}>
              {t('settings.import.undo.keepImport')}
            </button>
          </div>
        </div>
      ) : null}
      {undo.stage === 'done' ? (
        <div className="form">
          <FormNotice>{undoPlanText(undo.plan, true, translator)}</FormNotice>
          {kept(undo.plan)}
        </div>
      ) : null}
    </li>
  )
}
