import { describe, expect, it } from 'vitest'
import { foldText } from '../../../shared/src/model'
import { autoMapColumns, missingTargets, repeatedTargets } from './csv-columns'

describe('autoMapColumns', () => {
  it.each([
    ['Nom', 'birthName'],
    ['NOM', 'birthName'],
    ['Nom de naissance', 'birthName'],
    ["Nom d'usage", 'usualName'],
    ['Prénom', 'firstNames'],
    ['PRENOMS', 'firstNames'],
    ['Prénom(s)', 'firstNames'],
    ['Date de naissance', 'birthDate'],
    ['Né(e) le', 'birthDate'],
    ['Née le', 'birthDate'],
    ['N° SS', 'nir'],
    ['N° S.S.', 'nir'],
    ['NIR', 'nir'],
    ['N° de sécurité sociale', 'nir'],
    ['Tél. portable', 'phone'],
    ['Téléphone', 'phone'],
    ['Adresse', 'address.line1'],
    ["Complément d'adresse", 'address.line2'],
    ['Code postal', 'address.postalCode'],
    ['C.P.', 'address.postalCode'],
    ['Ville', 'address.city'],
    ['E-mail', 'email'],
    ['Courriel', 'email'],
    ['Sexe', 'sex'],
    ['Médecin traitant', 'referringDoctor.name'],
    ['Mutuelle', 'insurance'],
    ['Dernière visite', null],
  ] as const)('%j → %j', (header, target) => {
    expect(autoMapColumns([header])).toEqual([target])
  })

  it('lets several columns feed the phones, and only the first column feed any other field', () => {
    expect(autoMapColumns(['Nom', 'Tél. portable', 'Tél. domicile', 'NOM'])).toEqual(['birthName', 'phone', 'phone', null])
  })

  it('folds accents, case, punctuation and spacing', () => {
    expect(foldText('  N°  S.S. ')).toBe('n s s')
    expect(foldText('Né(e) le')).toBe('ne e le')
    expect(foldText('ŒUVRE')).toBe('oeuvre')
  })
})

describe('mapping checks', () => {
  it('asks for a name and first names, and one column per field', () => {
    expect(missingTargets(['birthName', null])).toEqual(['firstNames'])
    expect(missingTargets(['birthName', 'firstNames'])).toEqual([])
    expect(repeatedTargets(['birthName', 'birthName', 'phone', 'phone'])).toEqual(['birthName'])
  })
})
