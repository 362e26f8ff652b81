/**
 * The dry run over hand-made messy files, as other programs and spreadsheets write them: a
 * Windows-1252 file with ';', a UTF-8 one with ',', both date forms, the three phone forms, a NIR
 * with a wrong key, an impossible date, a duplicate of a patient already in the practice, the same
 * person twice, an empty line. The practice is a real directory Y.Doc written by the model.
 */
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { addPatient, listPatients, nirKey } from '../../../shared/src/model'
import { alice, steppingClock } from '../../../shared/src/model/test-support'
import { autoMapColumns } from './csv-columns'
import { MappingError, planImport } from './csv-dry-run'
import type { PlannedRow } from './csv-dry-run'
import { readCsvTable } from './csv-table'

const TODAY = '2026-11-18'

/** A NIR with its right key, and the same with a wrong one. */
const NIR_BODY = '2580375056123'
const KEY = String(nirKey(NIR_BODY)).padStart(2, '0')
const NIR = `${NIR_BODY}${KEY}`
const WRONG_NIR = `${NIR_BODY}${String((Number(KEY) % 97) + 1).padStart(2, '0')}`

function cp1252(text: string): Uint8Array {
  return Uint8Array.from([...text].map((c) => {
    const code = c.codePointAt(0) as number
    if (c === 'œ') return 0x9c
    if (code > 0xff) throw new Error(`no byte for ${c}`)
    return code
  }))
}

function practiceWith(...patients: { birthName: string; firstNames: string; birthDate: string }[]): Y.Doc {
  const doc = new Y.Doc()
  const clock = steppingClock()
  for (const p of patients) addPatient(doc, p, alice, clock)
  return doc
}

const summary = (row: PlannedRow) =>
  row.kind === 'invalid'
    ? { line: row.line, kind: row.kind, fields: row.issues.map((i) => `${i.field}:${i.issue.code}`) }
    : { line: row.line, kind: row.kind }

describe('planImport', () => {
  it('reads a Windows-1252 file with ";", French dates and every phone form', () => {
    const file = cp1252(
      [
        'NOM;Prénom;Né(e) le;N° SS;Tél. portable;Adresse;Code postal;Ville',
        `Lefèvre;Zoë;12/03/1958;${NIR};06 12 34 56 78;3, rue de la Cœur;35000;Rennes`,
        'Dupré;Hélène;1958-03-12;;+33 6 12 34 56 79;;;',
        '',
        'Garçon;Noël;05/07/1990;;06.12.34.56.80;;;',
        `Martin;Léa;01/01/1980;${WRONG_NIR};;;;`,
        'Morel;Anaïs;31/02/1975;;;;;',
        'Roy;Jean;02/02/1975;;0612;;3500;',
        'Durand;Paul;14/07/1950;;;;;',
        'LEFEVRE;zoe;12/03/58;;;;;',
        ';;;;;;;',
      ].join('\r\n'),
    )
    const table = readCsvTable(file)
    expect(table).toMatchObject({ encoding: 'windows-1252', delimiter: ';' })
    const mapping = autoMapColumns(table.headers)
    expect(mapping).toEqual(['birthName', 'firstNames', 'birthDate', 'nir', 'phone', 'address.line1', 'address.postalCode', 'address.city'])
    const practice = practiceWith({ birthName: 'Durand', firstNames: 'Paul', birthDate: '1950-07-14' })
    const existing = listPatients(practice).items
    const run = planImport(table, mapping, existing, TODAY)

    expect(run.rows.map(summary)).toEqual([
      { line: 2, kind: 'create' },
      { line: 3, kind: 'create' },
      { line: 5, kind: 'create' },
      { line: 6, kind: 'invalid', fields: ['nir:invalid_nir_key'] },
      { line: 7, kind: 'invalid', fields: ['birthDate:invalid_date'] },
      // The form's own rule: an address has a street and a city.
      { line: 8, kind: 'invalid', fields: ['phone:invalid_phone', 'address.line1:required', 'address.postalCode:invalid_postal_code', 'address.city:required'] },
      { line: 9, kind: 'existing' },
      { line: 10, kind: 'repeated' },
    ])
    expect(run.counts).toEqual({ create: 3, invalid: 3, existing: 1, repeated: 1 })
    const created = run.rows.flatMap((r) => (r.kind === 'create' ? [r.fields] : []))
    expect(created).toEqual([
      expect.objectContaining({ birthName: 'Lefèvre', firstNames: 'Zoë', birthDate: '1958-03-12', nir: NIR, phones: ['0612345678'], address: { line1: '3, rue de la Cœur', postalCode: '35000', city: 'Rennes' } }),
      expect.objectContaining({ birthName: 'Dupré', firstNames: 'Hélène', birthDate: '1958-03-12', phones: ['+33612345679'] }),
      expect.objectContaining({ birthName: 'Garçon', firstNames: 'Noël', birthDate: '1990-07-05', phones: ['0612345680'] }),
    ])
    expect(run.rows[6]).toMatchObject({ kind: 'existing', name: 'Durand Paul', patient: { id: existing[0]?.id } })
    expect(run.rows[7]).toMatchObject({ kind: 'repeated', firstLine: 2 })
  })

  it('reads a UTF-8 file with "," and a BOM, several phone columns, sex words and date-times', () => {
    const file = new TextEncoder().encode(
      '\ufeffNom,Prénom,Sexe,Date de naissance,Téléphone,Tél. domicile,Email\n' +
        'Petit,Jeanne,Mme,1944-11-02 00:00:00,06 11 22 33 44,02 99 00 11 22,jeanne@example.fr\n' +
        'Petit,Marc,H,02/11/1944,,,\n' +
        'Petit,Luc,?,02/11/1944,,,\n',
    )
    const table = readCsvTable(file)
    expect(table).toMatchObject({ encoding: 'utf-8-bom', delimiter: ',' })
    const run = planImport(table, autoMapColumns(table.headers), [], TODAY)
    expect(run.rows.map(summary)).toEqual([
      { line: 2, kind: 'create' },
      { line: 3, kind: 'create' },
      { line: 4, kind: 'invalid', fields: ['sex:invalid_value'] },
    ])
    expect(run.rows[0]).toMatchObject({ fields: { sex: 'F', birthDate: '1944-11-02', phones: ['0611223344', '0299001122'], email: 'jeanne@example.fr' } })
    expect(run.rows[1]).toMatchObject({ fields: { sex: 'M' } })
  })

  it('warns, without refusing, when a valid NIR disagrees with the sex or birth date', () => {
    const table = readCsvTable(new TextEncoder().encode(`Nom;Prénom;Sexe;NIR;Date de naissance\nMartin;Léo;M;${NIR};12/03/1958\n`))
    const [row] = planImport(table, autoMapColumns(table.headers), [], TODAY).rows
    expect(row).toMatchObject({ kind: 'create', warnings: ['sex'] })
  })

  it('refuses a birth date after the practice’s today', () => {
    const table = readCsvTable(new TextEncoder().encode('Nom;Prénom;Date de naissance\nMartin;Léo;19/11/2026\nMartin;Léa;18/11/2026\n'))
    expect(planImport(table, autoMapColumns(table.headers), [], TODAY).rows.map(summary)).toEqual([
      { line: 2, kind: 'invalid', fields: ['birthDate:birth_date_in_future'] },
      { line: 3, kind: 'create' },
    ])
  })

  it('refuses a mapping without first names, or with two columns for one field', () => {
    const table = readCsvTable(new TextEncoder().encode('Nom;Prénom\nMartin;Léa\n'))
    expect(() => planImport(table, ['birthName', null], [], TODAY)).toThrow(MappingError)
    expect(() => planImport(table, ['birthName', 'birthName'], [], TODAY)).toThrow(MappingError)
  })
})
