import { SEXES } from '../../../../shared/src/model'
import type { ChangeEntry } from '../../../../shared/src/model'
import type { PlainKey, Translator } from '../../i18n'
import { formatNir, formatPhone } from './patient-form'

/** Field names of the patient record → their label; other fields show their own name. */
const FIELD_LABELS: Readonly<Record<string, PlainKey>> = {
  birthName: 'patient.birthName',
  usualName: 'patient.usedName',
  firstNames: 'patient.givenNames',
  sex: 'patient.sex',
  birthDate: 'patient.birthDate',
  nir: 'patient.nir',
  phones: 'patient.phone',
  email: 'patient.email',
  address: 'patient.address',
  referringDoctor: 'patient.referringDoctor',
  insurance: 'patient.insurance',
  tags: 'patient.tags',
  archived: 'patient.archived',
  mergedInto: 'history.mergedInto',
}

export function historyFieldLabel(field: string, { t }: Pick<Translator, 't'>): string {
  const key = FIELD_LABELS[field]
  return key ? t(key) : field
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function str(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : ''
}

/**
 * A field's value as one line of text, for the history view. Values come from another device's
 * log entry: untrusted shapes fall back to JSON rather than failing the whole view.
 */
export function historyValueText(field: string, value: unknown, translator: Pick<Translator, 't' | 'longDate'>): string {
  const { t, longDate } = translator
  if (value === undefined || value === null || value === '') return t('history.empty')
  switch (field) {
    case 'phones':
      if (Array.isArray(value)) return value.map((v) => formatPhone(str(v))).join(', ')
      break
    case 'tags':
      if (Array.isArray(value)) return value.map(str).join(', ')
      break
    case 'nir':
      return formatNir(str(value))
    case 'birthDate':
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return longDate(value)
      break
    case 'sex':
      if ((SEXES as readonly unknown[]).includes(value)) return t(`patient.sex.${value as (typeof SEXES)[number]}`)
      break
    case 'archived':
      return value === true ? t('history.yes') : t('history.no')
    case 'address':
      if (isRecord(value)) {
        return [value.line1, value.line2, [value.postalCode, value.city].map(str).join(' '), value.accessNotes]
          .map(str)
          .filter(Boolean)
          .join(', ')
      }
      break
    case 'referringDoctor':
      if (isRecord(value)) return [str(value.name), value.rpps ? `RPPS ${str(value.rpps)}` : ''].filter(Boolean).join(', ')
      break
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value)
}

/** What a non-field entry says: 'Fiche créée', 'Fiche supprimée'… */
export function historyEventKey(entry: Exclude<ChangeEntry, { kind: 'change' }>): PlainKey {
  switch (entry.kind) {
    case 'create':
      return 'history.created'
    case 'delete':
      return 'history.deleted'
    case 'restore':
      return 'history.restored'
    case 'merge':
      return 'history.merged'
  }
}

/** A device id in a short form people can compare at a glance ('k3J9x…'). */
export function shortDeviceId(deviceId: string): string {
  return deviceId.length > 6 ? `${deviceId.slice(0, 6)}…` : deviceId
}

/**
 * How a line names a device: the name the practice gave it (Réglages › Appareils, « iPad de
 * Camille »), else « appareil k3J9x… »; this device says so. `keys` are the line's own messages
 * (the history's, the access log's), which take the name or the short id as `{device}`.
 */
export function deviceText(
  deviceId: string,
  thisDevice: string,
  names: ReadonlyMap<string, { readonly name: string | null }> | null,
  keys: { readonly device: 'history.device' | 'file.openings.device'; readonly thisDevice: 'history.thisDevice' | 'file.openings.thisDevice' },
  { t }: Pick<Translator, 't'>,
): string {
  const name = names?.get(deviceId)?.name ?? null
  if (deviceId === thisDevice) return t(keys.thisDevice, { device: name ?? shortDeviceId(deviceId) })
  return name ?? t(keys.device, { device: shortDeviceId(deviceId) })
}
