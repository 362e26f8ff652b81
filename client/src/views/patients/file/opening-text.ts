/**
 * One line of « Consultations du dossier »: when (a French date and time in the practice's zone),
 * who (the member's display name) and from which device. Devices have no names yet (they come
 * with the device registry of issue 19): the device id is shown shortened, like the history does.
 */
import { fromInstant } from '../../../../../shared/src/model'
import type { AccessEntry } from '../../../../../shared/src/model'
import type { Translator } from '../../../i18n'
import { shortDeviceId } from '../history-text'

export function openingText(
  entry: AccessEntry,
  memberNames: ReadonlyMap<string, string>,
  thisDevice: string,
  translator: Pick<Translator, 't' | 'longDate' | 'timeOf' | 'timeZone'>,
): string {
  const { t, longDate, timeOf, timeZone } = translator
  const when = t('history.when', { date: longDate(fromInstant(entry.at, timeZone).slice(0, 10)), time: timeOf(entry.at) })
  // A member since deleted (or not yet synced here) is still named by its id: never dropped.
  const member = memberNames.get(entry.by.memberId) ?? t('file.openings.unknownMember', { member: shortDeviceId(entry.by.memberId) })
  const short = shortDeviceId(entry.by.deviceId)
  const device = entry.by.deviceId === thisDevice ? t('file.openings.thisDevice', { device: short }) : t('file.openings.device', { device: short })
  return t('file.openings.entry', { when, member, device })
}
