import { describe, expect, it } from 'vitest'
import { nameVariants, pickLabel, textVariants } from './block-label'

/** 7 px a character: a stand-in for a canvas measure. */
const measure = (text: string) => text.length * 7

describe('the name a block shows', () => {
  it('shortens a patient name step by step, never cutting a word', () => {
    expect(nameVariants('Dupont', 'Jeanne')).toEqual(['Dupont Jeanne', 'Dupont J.', 'Dupont', 'DJ', 'D'])
    expect(nameVariants('Lefèvre', 'élodie')).toEqual(['Lefèvre élodie', 'Lefèvre É.', 'Lefèvre', 'LÉ', 'L'])
  })

  it('picks the longest form that fits, and the initials when nothing else does', () => {
    const variants = nameVariants('Vaucanson', 'Aurélienne')
    expect(pickLabel(variants, 200, measure)).toBe('Vaucanson Aurélienne')
    expect(pickLabel(variants, 84, measure)).toBe('Vaucanson A.')
    expect(pickLabel(variants, 63, measure)).toBe('Vaucanson')
    expect(pickLabel(variants, 30, measure)).toBe('VA')
    expect(pickLabel(variants, 10, measure)).toBe('V')
    expect(pickLabel(variants, 3, measure)).toBe('V')
  })

  it('shortens a title or a practitioner by words', () => {
    expect(textVariants('Réunion d’équipe')).toEqual(['Réunion d’équipe', 'Réunion', 'RD'])
    expect(textVariants(' Claire  Martin ')).toEqual(['Claire Martin', 'Claire', 'CM'])
    expect(textVariants('Pause')).toEqual(['Pause', 'P'])
  })
})
