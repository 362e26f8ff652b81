import { useState } from 'react'
import type { PracticeRecord } from '../../sync/device/device'
import { professionKey, useT } from '../../i18n'
import { useDirectory, usePractice, usePractitioners } from '../../state'
import { labelDevice } from '../../../../shared/src/model'
import { useDeviceApi } from '../../app/device-api'
import { describeError } from '../form/describe-error'
import { FormAlert } from '../form/form-alert'
import { AddPractitionerForm } from './AddPractitionerForm'

/**
 * A device that joined a practice says who holds it. The practitioners arrive with the directory,
 * so the list fills in as the first sync lands.
 */
export function ChooseMemberScreen(props: { onChosen: (record: PracticeRecord) => void }) {
  const translator = useT()
  const { t } = translator
  const { record, clock } = usePractice()
  const device = useDeviceApi()
  const practitioners = usePractitioners()
  const directory = useDirectory()
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function choose(memberId: string) {
    setBusy(true)
    setFailure(null)
    try {
      const chosen = await device.setMember(record.spaceId, memberId)
      // Réglages › Appareils says who holds each device: written in the encrypted directory.
      if (directory) labelDevice(directory, record.deviceId, { memberId }, { deviceId: record.deviceId, memberId }, clock)
      props.onChosen(chosen)
    } catch (error) {
      setFailure(describeError(error, translator))
      setBusy(false)
    }
  }

  return (
    <main className="choose-member">
      <h1>{t('chooseMember.title')}</h1>
      <p>{t('chooseMember.intro')}</p>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      {practitioners === null ? (
        <p>{t('app.loading')}</p>
      ) : practitioners.length === 0 ? (
        <p>{t('chooseMember.waiting')}</p>
      ) : (
        <ul className="choose-member__list" aria-label={t('chooseMember.listLabel')}>
          {practitioners.map((practitioner) => (
            <li key={practitioner.id}>
              <button
                className="button button--large choose-member__choice"
                type="button"
                disabled={busy}
                onClick={() => void choose(practitioner.id)}
              >
                <span className="swatch" style={{ background: practitioner.colour }} aria-hidden="true" />
                <span className="choose-member__name">{practitioner.displayName}</span>
                <span className="choose-member__profession">{t(professionKey(practitioner.profession))}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <AddPractitionerForm onAdded={(id) => void choose(id)} />
    </main>
  )
}
