import { describe, expect, it } from 'vitest'
import { DIRECTORY_DOC_ID, DocIdError, MANIFEST_DOC_ID, agendaDocId, parseDocId, patientDocId } from './doc-ids'

describe('doc ids', () => {
  it('names docs and parses them back', () => {
    expect(agendaDocId('2026-11')).toBe('agenda/2026-11')
    expect(patientDocId('pQ3xZ_a-1')).toBe('patient/pQ3xZ_a-1')
    expect(parseDocId(DIRECTORY_DOC_ID)).toEqual({ kind: 'directory' })
    expect(parseDocId(MANIFEST_DOC_ID)).toEqual({ kind: 'manifest' })
    expect(parseDocId('agenda/2026-11')).toEqual({ kind: 'agenda', month: '2026-11' })
    expect(parseDocId('patient/pQ3xZ_a-1')).toEqual({ kind: 'patient', patientId: 'pQ3xZ_a-1' })
  })

  it.each(['', 'agenda', 'agenda/2026-13', 'agenda/2026-1', 'patient/', 'patient/a/b', 'notes/x', 'Directory'])(
    'refuses %j with DocIdError',
    (id) => {
      expect(() => parseDocId(id)).toThrow(DocIdError)
    },
  )

  it('refuses to build ids from malformed parts', () => {
    expect(() => agendaDocId('2026-11-01')).toThrow(DocIdError)
    expect(() => patientDocId('a b')).toThrow(DocIdError)
  })
})
