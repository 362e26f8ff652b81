import type { StorageStatus } from '../../sync/device/durable-storage'
import type { Translator } from '../../i18n'

export interface StorageText {
  /** 'Stockage persistant : accordé' / 'refusé par le navigateur' / unknown. */
  readonly persistence: string
  /** '12,4 Mo utilisés sur 2,1 Go' */
  readonly usage: string
  /** Whether to offer asking again (refused, or not asked yet). */
  readonly canAsk: boolean
}

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const

/** '12,4 Mo', '2,1 Go' in French, '12.4 MB' in English: decimal units, as devices show them. */
export function formatBytes(bytes: number, locale: string): string {
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit++
  }
  const format = new Intl.NumberFormat(locale, { style: 'unit', unit: UNITS[unit], unitDisplay: 'short', maximumFractionDigits: 1 })
  // Intl puts a narrow no-break space before the unit; the dictionary uses plain spaces.
  return format.format(value).replace(/\s/g, ' ')
}

/** The words of Réglages' storage section, apart from React so that they can be tested in Node. */
export function describeStorage(status: StorageStatus, { t, locale }: Translator): StorageText {
  return {
    persistence:
      status.persisted === true
        ? t('settings.storage.granted')
        : status.persisted === false
          ? t('settings.storage.refused')
          : t('settings.storage.unknown'),
    usage:
      status.usage === null || status.quota === null
        ? t('settings.storage.usageUnknown')
        : t('settings.storage.usage', { usage: formatBytes(status.usage, locale), quota: formatBytes(status.quota, locale) }),
    canAsk: status.persisted === false,
  }
}
