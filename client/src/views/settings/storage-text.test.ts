import { describe, expect, it } from 'vitest'
import { createTranslator } from '../../i18n'
import { describeStorage, formatBytes } from './storage-text'

const fr = createTranslator('fr', 'Europe/Paris')
const en = createTranslator('en', 'Europe/Paris')

describe('storage section text', () => {
  it('formats sizes the French way', () => {
    expect(formatBytes(12_400_000, fr.locale)).toBe('12,4 Mo')
    expect(formatBytes(2_100_000_000, fr.locale)).toBe('2,1 Go')
    expect(formatBytes(512, fr.locale)).toBe('512 o')
    expect(formatBytes(12_400_000, en.locale)).toBe('12.4 MB')
  })

  it('says whether storage is persistent and how much room is used', () => {
    const granted = describeStorage({ persisted: true, usage: 12_400_000, quota: 2_100_000_000 }, fr)
    expect(granted).toEqual({ persistence: 'Stockage persistant : accordé', usage: '12,4 Mo utilisés sur 2,1 Go', canAsk: false })
    const refused = describeStorage({ persisted: false, usage: null, quota: null }, fr)
    expect(refused.persistence).toBe('Stockage persistant : refusé par le navigateur')
    expect(refused.canAsk).toBe(true)
    expect(refused.usage).toBe("Espace utilisé : ce navigateur ne l'indique pas")
    expect(describeStorage({ persisted: null, usage: 1, quota: 2 }, fr).canAsk).toBe(false)
  })
})
