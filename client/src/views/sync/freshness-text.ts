import { fromInstant } from '../../../../shared/src/model'
import type { Translator } from '../../i18n'
import type { DocFreshness } from '../../state'

/** What a screen shows: the week's appointments, a patient's file, a patient's appointments. */
export type FreshnessSubject = 'agenda' | 'file' | 'appointments'

/**
 * The sentence a screen shows about the docs under it, or null when there is nothing to say
 * (current, or catching up on what it already knows, which takes a moment online):
 *
 *   not known, online     « Rendez-vous de cette période en cours de réception… »
 *   not known, offline    « … ne sont pas encore arrivés sur cet appareil (hors ligne) : un créneau
 *                         vide n'est peut-être pas libre. »
 *   known, offline        « Pas à jour — hors ligne depuis 14 h 32 » (the day too if not `today`)
 */
export function freshnessText(freshness: DocFreshness, subject: FreshnessSubject, translator: Translator, today: string): string | null {
  const { t } = translator
  if (!freshness.known) return freshness.currency === 'behind' ? t(`freshness.${subject}.missing`) : t(`freshness.${subject}.loading`)
  if (freshness.currency !== 'behind') return null
  if (freshness.lastExchangeAt === null) return t('freshness.behind.unknown')
  return t('freshness.behind', { since: sinceText(freshness.lastExchangeAt, translator, today) })
}

function sinceText(at: number, translator: Translator, today: string): string {
  // « 14 h 32 » must not break across lines: its spaces become no-break spaces.
  const time = translator.timeOf(at).replace(/ /g, '\u00a0')
  const day = fromInstant(at, translator.timeZone).slice(0, 10)
  return day === today ? time : translator.t('freshness.since.day', { date: translator.dayHeading(day), time })
}
