import { describe, expect, it } from 'vitest'
import { agendaDocsFor, neighbourMonths, shiftMonth } from './agenda-docs'

describe('agenda docs a view opens', () => {
  it('opens the shown months and asks for their neighbours, nothing else', () => {
    expect(agendaDocsFor('2026-11-30', '2026-12-06')).toEqual({ shown: ['2026-11', '2026-12'], background: ['2026-10', '2027-01'] })
    expect(agendaDocsFor('2026-11-23', '2026-11-23')).toEqual({ shown: ['2026-11'], background: ['2026-10', '2026-12'] })
  })

  it('names neighbours across a year', () => {
    expect(neighbourMonths(['2026-12', '2027-01'])).toEqual(['2026-11', '2027-02'])
    expect(neighbourMonths(['2026-01'])).toEqual(['2025-12', '2026-02'])
    expect(shiftMonth('2026-01', -13)).toBe('2024-12')
  })
})
