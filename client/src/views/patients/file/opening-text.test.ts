import { describe, expect, it } from 'vitest'
import { toInstant } from '../../../../../shared/src/model'
import type { AccessEntry } from '../../../../../shared/src/model'
import { createTranslator } from '../../../i18n/translator'
import { openingText } from './opening-text'

const names = new Map([['member-solene', 'Solène Kerouac']])
const entry = (at: number, memberId = 'member-solene', deviceId = 'dK9fH2jL5nB8cX1zQ6wRtY'): AccessEntry => ({
  kind: 'open',
  at,
  by: { memberId, deviceId },
})

describe('openingText', () => {
  const fr = createTranslator('fr', 'Europe/Paris')

  it('says when in French, in the practice zone, across the new year', () => {
    expect(openingText(entry(toInstant('2026-12-31T23:55', 'Europe/Paris')), names, 'other', fr)).toBe(
      '31 décembre 2026 à 23 h 55 · Solène Kerouac · appareil dK9fH2…',
    )
    expect(openingText(entry(toInstant('2027-01-01T00:05', 'Europe/Paris')), names, 'other', fr)).toBe(
      '1 janvier 2027 à 0 h 05 · Solène Kerouac · appareil dK9fH2…',
    )
  })

  it('shows both 2 a.m. hours of the autumn DST change as the wall clock read them', () => {
    expect(openingText(entry(Date.UTC(2026, 9, 25, 0, 30)), names, 'other', fr)).toContain('25 octobre 2026 à 2 h 30')
    expect(openingText(entry(Date.UTC(2026, 9, 25, 1, 30)), names, 'other', fr)).toContain('25 octobre 2026 à 2 h 30')
    // The same instant in another practice zone.
    expect(openingText(entry(Date.UTC(2026, 9, 25, 1, 30)), names, 'other', createTranslator('fr', 'America/Cayenne'))).toContain(
      '24 octobre 2026 à 22 h 30',
    )
  })

  it('names this device, and a member it does not know by id', () => {
    const line = openingText(entry(Date.UTC(2026, 10, 23, 8, 0), 'mQ3xT0aZ9bK2', 'this-device-id'), names, 'this-device-id', fr)
    expect(line).toBe('23 novembre 2026 à 9 h · membre mQ3xT0… · cet appareil (this-d…)')
  })

  it('names a device by the name the practice gave it, this one included', () => {
    const deviceNames = new Map([
      ['dK9fH2jL5nB8cX1zQ6wRtY', { name: 'iPad de Solène' }],
      ['this-device-id', { name: 'Téléphone de garde' }],
    ])
    const at = Date.UTC(2026, 10, 23, 8, 0)
    expect(openingText(entry(at), names, 'this-device-id', fr, deviceNames)).toBe('23 novembre 2026 à 9 h · Solène Kerouac · iPad de Solène')
    expect(openingText(entry(at, 'member-solene', 'this-device-id'), names, 'this-device-id', fr, deviceNames)).toBe(
      '23 novembre 2026 à 9 h · Solène Kerouac · cet appareil (Téléphone de garde)',
    )
    // A device without a name keeps its short id.
    expect(openingText(entry(at, 'member-solene', 'unnamedDeviceXYZ'), names, 'this-device-id', fr, deviceNames)).toContain('appareil unname…')
  })

  it('speaks English second', () => {
    expect(openingText(entry(toInstant('2026-12-31T23:55', 'Europe/Paris')), names, 'other', createTranslator('en', 'Europe/Paris'))).toBe(
      '31 December 2026 at 23:55 · Solène Kerouac · device dK9fH2…',
    )
  })
})
