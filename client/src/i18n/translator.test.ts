import { describe, expect, it } from 'vitest'
import { createTranslator } from './translator'
import { issueKey, professionKey, refusalKey, relayErrorKey } from './keys'
import { ISSUE_CODES, PROFESSIONS } from '../../../shared/src/model'
import { RefusalReason, RelayFailure } from '../sync/errors'

// 2026-11-23 is a Monday; Paris is on CET (UTC+1) then.
const MONDAY_14_32_PARIS = Date.UTC(2026, 10, 23, 13, 32)
// 2026-07-01 12:05 UTC is 14:05 in Paris (CEST, UTC+2).
const SUMMER_14_05_PARIS = Date.UTC(2026, 6, 1, 12, 5)

describe('French translator', () => {
  const fr = createTranslator('fr', 'Europe/Paris')

  it('translates and interpolates', () => {
    expect(fr.t('nav.settings')).toBe('Réglages')
    expect(fr.t('sync.lastExchange', { time: '14 h 32' })).toBe('Dernier échange : 14 h 32')
  })

  it('picks French plural forms: 0 and 1 are singular', () => {
    expect(fr.plural('sync.pending', 0)).toBe('0 modification en attente')
    expect(fr.plural('sync.pending', 1)).toBe('1 modification en attente')
    expect(fr.plural('sync.pending', 3)).toBe('3 modifications en attente')
  })

  it('writes times the French way', () => {
    expect(fr.clock('14:30')).toBe('14 h 30')
    expect(fr.clock('09:05')).toBe('9 h 05')
    expect(fr.startOf('2026-11-23T14:30')).toBe('14 h 30')
    expect(fr.endOf('2026-11-23T14:30', 45)).toBe('15 h 15')
  })

  it('reads an instant in the practice time zone, across daylight saving', () => {
    expect(fr.timeOf(MONDAY_14_32_PARIS)).toBe('14 h 32')
    expect(fr.timeOf(SUMMER_14_05_PARIS)).toBe('14 h 05')
    expect(createTranslator('fr', 'America/Cayenne').timeOf(MONDAY_14_32_PARIS)).toBe('10 h 32')
  })

  it('heads a day with weekday, day and month', () => {
    expect(fr.dayHeading('2026-11-23')).toBe('lundi 23 novembre')
    expect(fr.dayHeading('2026-12-01')).toBe('mardi 1er décembre')
  })

  it('formats durations', () => {
    expect(fr.duration(45)).toBe('45 min')
    expect(fr.duration(60)).toBe('1 h')
    expect(fr.duration(90)).toBe('1 h 30')
    expect(fr.duration(65)).toBe('1 h 05')
  })

  it('formats a birth date in full', () => {
    expect(fr.longDate('1954-03-12')).toBe('12 mars 1954')
    // A year below 100 is that year, not 19xx (a stored « 0001-01-01 » once showed as 1901).
    expect(fr.longDate('0001-01-01')).toBe('1 janvier 1')
    expect(fr.longDate('0099-12-31')).toBe('31 décembre 99')
  })
})

describe('English translator', () => {
  const en = createTranslator('en', 'Europe/Paris')

  it('translates and pluralizes', () => {
    expect(en.t('nav.settings')).toBe('Settings')
    expect(en.plural('sync.pending', 0)).toBe('0 changes pending')
    expect(en.plural('sync.pending', 1)).toBe('1 change pending')
  })

  it('writes 24-hour times and English day headings', () => {
    expect(en.clock('09:05')).toBe('09:05')
    expect(en.dayHeading('2026-11-23')).toBe('Monday 23 November')
  })
})

describe('codes of other layers all have a message', () => {
  const fr = createTranslator('fr')

  it.each(ISSUE_CODES)('validation issue %s', (code) => {
    expect(fr.t(issueKey(code))).not.toMatch(/^issue\./)
  })

  it.each(PROFESSIONS)('profession %s', (profession) => {
    expect(fr.t(professionKey(profession))).not.toMatch(/^profession\./)
  })

  it.each(Object.values(RefusalReason))('relay refusal %s', (reason) => {
    expect(fr.t(refusalKey(reason))).not.toMatch(/^sync\./)
  })

  it.each(Object.values(RelayFailure))('relay failure %s', (reason) => {
    expect(fr.t(relayErrorKey(reason))).not.toMatch(/^relayError\./)
  })

  it('maps the invalid NIR key to a French sentence', () => {
    expect(fr.t(issueKey('invalid_nir_key'))).toBe('Clé du NIR incorrecte : vérifiez les chiffres saisis.')
    expect(fr.t(relayErrorKey('unreachable'))).toContain('Relais injoignable')
  })
})
