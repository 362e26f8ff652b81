import type { AppUpdates } from '../../app/app-update'
import { AppUpdateStatus } from '../../app/app-update'
import { useT } from '../../i18n'
import { useAppUpdate } from '../../state'

/**
 * « Une mise à jour de Tournée est disponible » with its button, while a new version waits. It
 * takes no focus and covers nothing: the new version starts only when the user taps.
 */
export function UpdateBanner(props: { updates: AppUpdates }) {
  const { t } = useT()
  const { status } = useAppUpdate(props.updates)
  if (status === AppUpdateStatus.Current) return null
  const applying = status === AppUpdateStatus.Applying
  return (
    <section className="banner banner--update" aria-label={t('update.label')}>
      <p className="banner__text">{t('update.available')}</p>
      <button
        className="button button--small button--primary"
        type="button"
        disabled={applying}
        onClick={() => props.updates.apply()}
      >
        {applying ? t('update.applying') : t('update.apply')}
      </button>
    </section>
  )
}
