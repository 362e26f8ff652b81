import { describe, expect, it } from 'vitest'
import { createTranslator } from '../../i18n'
import { nirWarningText } from './nir-warning'

describe('the NIR warning in words', () => {
  const fr = createTranslator('fr')

  it('names what disagrees, joined the French way', () => {
    expect(nirWarningText([], fr)).toBeNull()
    expect(nirWarningText(['sex'], fr)).toBe(
      'Le NIR ne correspond pas au sexe : vérifiez ces champs. Si tout est juste, enregistrez quand même.',
    )
    expect(nirWarningText(['sex', 'birth_year', 'birth_month'], fr)).toBe(
      "Le NIR ne correspond pas au sexe, à l'année de naissance et au mois de naissance : vérifiez ces champs. Si tout est juste, enregistrez quand même.",
    )
    expect(nirWarningText(['birth_month'], createTranslator('en'))).toBe(
      'The NIR does not match the birth month: check these fields. If everything is right, save anyway.',
    )
  })
})
