/**
 * One line of « Consultations du dossier »: when (a French date and time in the practice's zone),
 * who (the member's display name) and from which device: the name the practice gave it in
 * Réglages › Appareils, else its id shortened, like the history does.
 */
import { fromInstant } from '../../../../../shared/src/model'
import type { AccessEntry } from '../../../../../shared/src/model'
import type { Translator } from '../../../i18n'
import { deviceText, shortDeviceId } from '../history-text'

export function openingText(
  entry: AccessEntry,
  memberNames: ReadonlyMap<string, string>,
  thisDevice: string,
  translator: Pick<Translator, 't' | 'longDate' | 'timeOf' | 'timeZone'>,
  deviceNames: ReadonlyMap<string, { readonly name: string | null }> | null = null,
): string {
  const { t, longDate, timeOf, timeZone } = translator
  const when = t('history.when', { date: longDate(fromInstant(entry.at, timeZone).slice(0, 10)), time: timeOf(entry.at) })
  // A member since deleted (or not yet synced here) is still named by its id: never dropped.
  const member = memberNames.get(entry.by.memberId) ?? t('file.openings.unknownMember', { member: shortDeviceId(entry.by.memberId) })
  const device = deviceText(entry.by.deviceId, thisDevice, deviceNames, { device: 'file.openings.device', thisDevice: 'file.openings.thisDevice' }, translator)
  return t('file.openings.entry', { when, member, device })
}
