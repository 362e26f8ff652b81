import { useId } from 'react'
import { useT } from '../../../i18n'
import './clinical-file.css'

/**
 * Where a patient's clinical file is, on a device whose role does not read it (secrétariat): what
 * is there, named, and « Réservé aux praticiens » — a boundary of the role, never an error nor a
 * spinner. Nothing of the file is opened to draw this: the device holds no clinical key
 * (shared/src/crypto/space-keys.ts), and the relay would refuse its credential on the file's room.
 */
export function ClinicalReserved() {
  const { t } = useT()
  const titleId = useId()
  return (
    <section className="clinical" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('file.title')}</h2>
      <div className="clinical__section clinical__reserved" role="note">
        <p className="clinical__reserved-title">{t('file.reserved')}</p>
        <p>{t('file.reserved.hint')}</p>
      </div>
    </section>
  )
}
