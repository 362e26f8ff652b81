import { describe, expect, it } from 'vitest'
import { createTranslator } from '../../i18n'
import { agendaHeading, headingYears } from './agenda-heading'
import { daysShown } from './agenda-range'
import { PINNED_TEST_DAYS, TEST_TODAY } from '../../../../tests/helpers/test-clock'
import { shiftDay, weekOf } from '../../../../tests/helpers/calendar-oracle'

const fr = createTranslator('fr')
const en = createTranslator('en')
const week = (date: string, today: string, translator = fr) => agendaHeading(translator, 'semaine', daysShown('semaine', date), today)
const day = (date: string, today: string, translator = fr) => agendaHeading(translator, 'jour', [date], today).full

describe('agenda headings and their year', () => {
  it('on 31 December: this week runs into next year and names both; next week names its year once', () => {
    expect(week('2026-12-31', '2026-12-31')).toEqual({
      full: 'Semaine du lundi 28 décembre 2026 au dimanche 3 janvier 2027',
      short: '28 décembre 2026 – 3 janvier 2027',
    })
    expect(week('2027-01-04', '2026-12-31').full).toBe('Semaine du lundi 4 janvier au dimanche 10 janvier 2027')
    expect(day('2026-12-31', '2026-12-31')).toBe('jeudi 31 décembre')
    expect(day('2027-01-01', '2026-12-31')).toBe('vendredi 1er janvier 2027')
  })

  it('on 1 January: yesterday is last year, this week still names both years', () => {
    expect(day('2026-12-31', '2027-01-01')).toBe('jeudi 31 décembre 2026')
    expect(day('2027-01-01', '2027-01-01')).toBe('vendredi 1er janvier')
    expect(week('2027-01-01', '2027-01-01').full).toBe('Semaine du lundi 28 décembre 2026 au dimanche 3 janvier 2027')
  })

  it('an ordinary week of this year has no year; the same week a year back has it, once', () => {
    expect(week('2026-12-08', '2026-11-18')).toEqual({
      full: 'Semaine du lundi 7 décembre au dimanche 13 décembre',
      short: '7 décembre – 13 décembre',
    })
    expect(week('2025-12-08', '2026-11-18')).toEqual({
      full: 'Semaine du lundi 8 décembre au dimanche 14 décembre 2025',
      short: '8 décembre – 14 décembre 2025',
    })
  })

  it('says the year in English too, and the month always has it', () => {
    expect(day('2025-12-08', '2026-11-18', en)).toBe('Monday, 8 December 2025')
    expect(day('2026-12-08', '2026-11-18', en)).toBe('Tuesday 8 December')
    expect(agendaHeading(fr, 'mois', daysShown('mois', '2026-11-18'), '2026-11-18').full).toBe('novembre 2026')
  })

  it.each([TEST_TODAY, ...PINNED_TEST_DAYS])('at %s: the year shows exactly when a day is not in the current one', (today) => {
    const thisWeek = weekOf(today)
    const across = thisWeek[0]!.slice(0, 4) !== thisWeek[6]!.slice(0, 4)
    expect(headingYears(thisWeek[0]!, thisWeek[6]!, today)).toEqual({ first: across, last: across })
    expect(day(today, today)).not.toMatch(/\d{4}/)
    const lastYear = shiftDay(today, -366)
    expect(day(lastYear, today)).toMatch(new RegExp(`${lastYear.slice(0, 4)}$`))
    expect(week(lastYear, today).full).toMatch(/\d{4}$/)
  })
})
