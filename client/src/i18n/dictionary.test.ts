import { describe, expect, it } from 'vitest'
import { en } from './en'
import { fr } from './fr'
import { interpolate, placeholders } from './dictionary'
import type { Message } from './messages'

const french: Record<string, Message> = fr
const english: Record<string, Message> = en

describe('dictionaries', () => {
  it('have the same keys in French and English', () => {
    expect(Object.keys(english).sort()).toEqual(Object.keys(french).sort())
  })

  it.each(Object.keys(french))('%s has the same placeholders and shape in both languages', (key) => {
    const frMessage = french[key]
    const enMessage = english[key]
    if (frMessage === undefined || enMessage === undefined) throw new Error(`missing ${key}`)
    expect(typeof enMessage).toBe(typeof frMessage)
    expect(placeholders(enMessage)).toEqual(placeholders(frMessage))
  })

  it('has no empty message', () => {
    for (const [key, message] of [...Object.entries(french), ...Object.entries(english)]) {
      const texts = typeof message === 'string' ? [message] : [message.one, message.other]
      for (const text of texts) expect(text.trim(), key).not.toBe('')
    }
  })
})

describe('interpolate', () => {
  it('replaces every placeholder, numbers included', () => {
    expect(interpolate('{count} sur {total} pour {name}', { count: 2, total: 10, name: 'Léa' })).toBe(
      '2 sur 10 pour Léa',
    )
  })

  it('leaves a placeholder without a value visible', () => {
    expect(interpolate('Bonjour {name}', {})).toBe('Bonjour {name}')
  })

  it('does not re-interpolate inserted values', () => {
    expect(interpolate('{a}', { a: '{b}', b: 'x' })).toBe('{b}')
  })
})
