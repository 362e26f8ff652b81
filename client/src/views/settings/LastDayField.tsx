import { DateField } from '../form/DateField'
import { useT } from '../../i18n'

/**
 * A locum's last day of replacement, as « Ajouter un appareil » and « Modifier » ask it
 * (device-grant.ts reads it): the problem named by readGrant, if any.
 */
export function LastDayField(props: { value: string | null; onValueChange: (date: string | null) => void; problem: 'missing' | 'past' | null }) {
  const { t } = useT()
  return (
    <DateField
      label={t('settings.addDevice.lastDay')}
      name="lastDay"
      value={props.value}
      onValueChange={props.onValueChange}
      error={props.problem === null ? undefined : t(props.problem === 'past' ? 'settings.addDevice.lastDay.past' : 'settings.addDevice.lastDay.required')}
    />
  )
}
