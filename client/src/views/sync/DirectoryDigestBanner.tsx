import { useT } from '../../i18n'
import { useDirectoryDigest } from '../../state'
import { digestBannerText } from './digest-banner-text'

/**
 * Where a view lists the directory digest's patients (the directory has not synced yet): says so,
 * with the time the list was made. Nothing once the view shows the live directory.
 */
export function DirectoryDigestBanner(props: { compact?: boolean }) {
  const translator = useT()
  const digest = useDirectoryDigest()
  if (digest === null) return null
  return (
    <p className={props.compact ? 'digest-banner digest-banner--compact' : 'digest-banner'} aria-live="polite">
      {digestBannerText(digest.builtAt, translator)}
    </p>
  )
}
