import { useState } from 'react'
import { patientDisplayName } from '../../../../shared/src/model'
import type { DuplicatePair } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { mergeDuplicatePatients, useActor, useDirectory, usePractice } from '../../state'
import { routeHref } from '../../app/route'
import { describeError } from '../form/describe-error'
import { FormAlert } from '../form/form-alert'

/**
 * "Doublon possible": two records that look like the same patient (see patient-duplicates.ts for
 * the rule), with "Fusionner" to keep the older one and fold the other into it.
 */
export function DuplicateBanner(props: { pair: DuplicatePair; currentId?: string }) {
  const translator = useT()
  const { t, longDate, timeZone } = translator
  const { pair } = props
  const directory = useDirectory()
  const { docs, clock } = usePractice()
  const actor = useActor()
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<string | null>(null)
  const name = patientDisplayName(pair.keep)
  // On a patient's page, the link leads to the other record of the pair.
  const other = props.currentId === pair.drop.id ? pair.keep : pair.drop

  async function merge() {
    if (!directory) return
    setBusy(true)
    try {
      await mergeDuplicatePatients({
        openDoc: (docId) => docs.open(docId),
        directory,
        keep: pair.keep,
        drop: pair.drop,
        timeZone,
        actor,
        clock,
      })
      setFailure(null)
    } catch (error) {
      setFailure(describeError(error, translator))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="duplicate" role="region" aria-label={t('duplicates.title', { name })}>
      <p className="duplicate__text">
        <strong>{t('duplicates.possible')}</strong>{' '}
        {t('duplicates.detail', { name, date: pair.keep.birthDate ? longDate(pair.keep.birthDate) : '' })}{' '}
        <a href={routeHref({ view: 'patient', patientId: other.id })}>{t('duplicates.seeOther')}</a>
      </p>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      <button className="button button--primary" type="button" onClick={() => void merge()} disabled={busy}>
        {busy ? t('duplicates.merging') : t('duplicates.merge')}
      </button>
    </div>
  )
}
