import { fromInstant } from '../../../../shared/src/model'
import type { Translator } from '../../i18n'

/**
 * « Liste des patients du dimanche 22 novembre à 14 h 05 — synchronisation en cours » (the
 * directory digest), « Agenda du … » (the week digest): when the digest shown was built, read in
 * the practice's time zone (the translator's).
 */
export function digestBannerText(builtAt: number, translator: Translator, key: 'digest.banner' | 'digest.weekBanner' = 'digest.banner'): string {
  const { t, dayHeading, timeOf, timeZone } = translator
  // « 14 h 05 » must not break across lines: its spaces become no-break spaces.
  const time = timeOf(builtAt).replace(/ /g, '\u00a0')
  return t(key, { date: dayHeading(fromInstant(builtAt, timeZone).slice(0, 10)), time })
}
