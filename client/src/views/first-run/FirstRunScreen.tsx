import { useState } from 'react'
import type { OpenPractice } from '../../sync/device/device'
import type { ForgetReason, Forgotten } from '../../app/lock/forgotten-marker'
import { useT } from '../../i18n'
import type { MessageKey } from '../../i18n'
import { CreatePracticeForm } from './CreatePracticeForm'
import { JoinPracticeForm } from './JoinPracticeForm'

type Choice = 'none' | 'create' | 'join'

/**
 * A device paired with no practice: create one, or join colleagues with a pairing code. A device
 * that forgot its practice (too many wrong PINs, a lost passkey) says so, naming it.
 */
/** Why this device forgot its practice, in words (its name fills the message). */
const forgottenKey = {
  lock: 'firstRun.forgotten',
  revoked: 'firstRun.revoked',
  ended: 'firstRun.ended',
} as const satisfies Record<ForgetReason, MessageKey>

export function FirstRunScreen(props: { onOpened: (practice: OpenPractice) => void; forgotten?: Forgotten | null }) {
  const { t } = useT()
  const [choice, setChoice] = useState<Choice>('none')

  if (choice === 'none') {
    return (
      <main className="first-run">
        <h1>{t('firstRun.title')}</h1>
        {props.forgotten ? (
          <p className="first-run__forgotten" role="alert">
            {t(forgottenKey[props.forgotten.reason], { name: props.forgotten.name })}
          </p>
        ) : null}
        <p>{t('firstRun.intro')}</p>
        <div className="first-run__choices">
          <button className="button button--primary button--large" type="button" onClick={() => setChoice('create')}>
            {t('firstRun.create')}
          </button>
          <button className="button button--large" type="button" onClick={() => setChoice('join')}>
            {t('firstRun.join')}
          </button>
        </div>
        <p className="first-run__erased">{t('firstRun.erased')}</p>
      </main>
    )
  }

  return (
    <main className="first-run">
      <button className="button button--quiet" type="button" onClick={() => setChoice('none')}>
        {t('firstRun.back')}
      </button>
      <h1>{choice === 'create' ? t('create.title') : t('join.title')}</h1>
      {choice === 'create' ? (
        <CreatePracticeForm onOpened={props.onOpened} />
      ) : (
        <JoinPracticeForm onOpened={props.onOpened} />
      )}
    </main>
  )
}
