import { describe, expect, it } from 'vitest'
import { createTranslator } from '../../i18n'
import { issueText } from './issue-text'

describe('field issues in words', () => {
  const fr = createTranslator('fr')
  const en = createTranslator('en')

  it('says the limit a text or a list hit', () => {
    expect(issueText({ code: 'too_long', limit: 200 }, fr)).toBe('Texte trop long : 200 caractères au plus.')
    expect(issueText({ code: 'too_many', limit: 5 }, fr)).toBe('Trop de valeurs : 5 au plus.')
    expect(issueText({ code: 'birth_date_too_old', limit: 130 }, fr)).toBe("Date de naissance il y a plus de 130 ans : vérifiez l'année.")
    expect(issueText({ code: 'out_of_range', limit: 720 }, fr)).toBe('Valeur hors des limites autorisées (limite dépassée : 720).')
    expect(issueText({ code: 'too_long', limit: 200 }, en)).toBe('Text too long: 200 characters at most.')
  })

  it('falls back to the reason alone when no limit is known', () => {
    expect(issueText({ code: 'too_long' }, fr)).toBe('Texte trop long.')
    expect(issueText({ code: 'invalid_nir_key' }, fr)).toBe('Clé du NIR incorrecte : vérifiez les chiffres saisis.')
  })
})
