import { useState } from 'react'
import { mergePatients, patientDisplayName } from '../../../../shared/src/model'
import type { DuplicatePair } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { useActor, useDirectory, usePractice } from '../../state'
import { routeHref } from '../../app/route'
import { describeError } from '../form/describe-error'
import { FormAlert } from '../form/form-alert'

/**
 * "Doublon possible": two records that look like the same patient (see patient-duplicates.ts for
 * the rule), with "Fusionner" to keep the older one and fold the other into it. The merge is one
 * write in the directory, a redirect every view follows (patient-redirects.ts): nothing else is
 * opened or copied, so what reaches the other record later follows it too.
 */
export function DuplicateBanner(props: { pair: DuplicatePair; currentId?: string }) {
  const translator = useT()
  const { t, longDate } = translator
  const { pair } = props
  const directory = useDirectory()
  const { clock } = usePractice()
  const actor = useActor()
  const [failure, setFailure] = useState<string | null>(null)
  const name = patientDisplayName(pair.keep)
  // On a patient's page, the link leads to the other record of the pair.
  const other = props.currentId === pair.drop.id ? pair.keep : pair.drop

  function merge() {
    if (!directory) return
    try {
      mergePatients(directory, pair.keep.id, pair.drop.id, actor, clock)
      setFailure(null)
    } catch (error) {
      setFailure(describeError(error, translator))
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
      <button className="button button--primary" type="button" onClick={merge}>
        {t('duplicates.merge')}
      </button>
    </div>
  )
}
