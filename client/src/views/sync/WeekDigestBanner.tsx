import { weekDigestCovers } from '../../../../shared/src/digest/week-digest'
import { useT } from '../../i18n'
import { useWeekDigest } from '../../state'
import { digestBannerText } from './digest-banner-text'

/**
 * Where the agenda shows days from the week digest (this week's month has not synced yet): says
 * so, with the time the digest was made. Floating over the grid, so that it comes and goes (a
 * second or so on a new device online) without moving what is under a finger.
 */
export function WeekDigestBanner(props: { from: string; to: string }) {
  const translator = useT()
  const digest = useWeekDigest()
  if (digest === null || !weekDigestCovers(digest, props.from, props.to)) return null
  return (
    <p className="digest-banner digest-banner--floating" role="status">
      {digestBannerText(digest.builtAt, translator, 'digest.weekBanner')}
    </p>
  )
}
