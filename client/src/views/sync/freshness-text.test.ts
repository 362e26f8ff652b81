import { describe, expect, it } from 'vitest'
import { createTranslator } from '../../i18n'
import { freshnessText } from './freshness-text'

describe('freshnessText', () => {
  const fr = createTranslator('fr', 'Europe/Paris')
  const en = createTranslator('en', 'Europe/Paris')
  // 2026-12-31T13:32Z is 14 h 32 in Paris; the next day is 1 January 2027.
  const at = Date.UTC(2026, 11, 31, 13, 32)

  it('says nothing while current, or catching up on what is known', () => {
    expect(freshnessText({ currency: 'current', known: true, lastExchangeAt: at }, 'agenda', fr, '2026-12-31')).toBeNull()
    expect(freshnessText({ currency: 'updating', known: true, lastExchangeAt: at }, 'agenda', fr, '2026-12-31')).toBeNull()
  })

  it('says « pas à jour » with the time of the last exchange, and its day when it was not today', () => {
    const behind = { currency: 'behind', known: true, lastExchangeAt: at } as const
    expect(freshnessText(behind, 'file', fr, '2026-12-31')).toBe('Pas à jour — hors ligne depuis 14\u00a0h\u00a032')
    expect(freshnessText(behind, 'file', fr, '2027-01-01')).toBe('Pas à jour — hors ligne depuis le jeudi 31 décembre à 14\u00a0h\u00a032')
    expect(freshnessText(behind, 'file', en, '2026-12-31')).toBe('Not up to date — offline since 14:32')
    expect(freshnessText({ ...behind, lastExchangeAt: null }, 'file', fr, '2026-12-31')).toBe('Pas à jour — hors ligne')
  })

  it('never lets an unknown period pass for empty: loading online, not arrived offline', () => {
    expect(freshnessText({ currency: 'updating', known: false, lastExchangeAt: null }, 'agenda', fr, '2026-12-31')).toBe(
      'Rendez-vous de cette période en cours de réception…',
    )
    expect(freshnessText({ currency: 'behind', known: false, lastExchangeAt: null }, 'agenda', fr, '2026-12-31')).toMatch(
      /pas encore arrivés sur cet appareil \(hors ligne\) : un créneau vide n'est peut-être pas libre/,
    )
    expect(freshnessText({ currency: 'behind', known: false, lastExchangeAt: null }, 'appointments', en, '2026-12-31')).toMatch(/have not reached this device/)
  })
})
