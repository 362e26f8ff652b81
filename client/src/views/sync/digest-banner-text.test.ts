import { describe, expect, it } from 'vitest'
import { createTranslator } from '../../i18n'
import { digestBannerText } from './digest-banner-text'

describe('directory digest banner', () => {
  // 2026-11-22T13:05Z: 14 h 05 in Paris, 10 h 05 in Cayenne; 23:30Z is already Monday in Paris.
  const builtAt = Date.UTC(2026, 10, 22, 13, 5)

  it('says in French when the list shown was made, in the practice’s time zone', () => {
    expect(digestBannerText(builtAt, createTranslator('fr', 'Europe/Paris'))).toBe(
      'Liste des patients du dimanche 22 novembre à 14\u00a0h\u00a005 — synchronisation en cours',
    )
    expect(digestBannerText(builtAt, createTranslator('fr', 'America/Cayenne'))).toBe(
      'Liste des patients du dimanche 22 novembre à 10\u00a0h\u00a005 — synchronisation en cours',
    )
    expect(digestBannerText(Date.UTC(2026, 10, 22, 23, 30), createTranslator('fr', 'Europe/Paris'))).toBe(
      'Liste des patients du lundi 23 novembre à 0\u00a0h\u00a030 — synchronisation en cours',
    )
  })

  it('has an English translation', () => {
    expect(digestBannerText(builtAt, createTranslator('en', 'Europe/Paris'))).toBe('Patient list as of Sunday 22 November at 14:05 — syncing')
  })

  it('says the same of the week digest for the agenda', () => {
    expect(digestBannerText(builtAt, createTranslator('fr', 'Europe/Paris'), 'digest.weekBanner')).toBe(
      'Agenda du dimanche 22 novembre à 14\u00a0h\u00a005 — synchronisation en cours',
    )
    expect(digestBannerText(builtAt, createTranslator('en', 'Europe/Paris'), 'digest.weekBanner')).toBe('Agenda as of Sunday 22 November at 14:05 — syncing')
  })
})
