import { todayIn } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { usePractice } from '../../state'
import type { DocFreshness } from '../../state'
import { freshnessText, type FreshnessSubject } from './freshness-text'

/**
 * Says when what a screen shows may be old (its rooms are offline) or incomplete (never received
 * here): a screen never shows old data as current, nor an empty week that is not known empty.
 * Nothing while the docs are current.
 */
export function FreshnessBanner(props: { freshness: DocFreshness | null; subject: FreshnessSubject; floating?: boolean }) {
  const translator = useT()
  const { clock } = usePractice()
  if (props.freshness === null) return null
  const text = freshnessText(props.freshness, props.subject, translator, todayIn(translator.timeZone, clock))
  if (text === null) return null
  return (
    <p className={props.floating ? 'digest-banner digest-banner--floating freshness-banner' : 'digest-banner freshness-banner'} role="status">
      {text}
    </p>
  )
}
