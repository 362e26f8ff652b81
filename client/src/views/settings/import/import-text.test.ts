import { describe, expect, it } from 'vitest'
import { createTranslator } from '../../../i18n/translator'
import { autoMapColumns } from '../../../import/csv-columns'
import { planImport } from '../../../import/csv-dry-run'
import { CsvFileError, readCsvTable } from '../../../import/csv-table'
import { csvFileErrorText, keptText, plannedRowText, tableSummaryText } from './import-text'

const fr = createTranslator('fr')

describe('import texts, in French', () => {
  it('name the line and the field where a refused file stopped', () => {
    expect(csvFileErrorText(new CsvFileError('row_too_short', 7, 3, 'Ville'), fr)).toBe(
      "Fichier incomplet, ligne 7 : le champ « Ville » manque. Rien n'a été importé.",
    )
    expect(csvFileErrorText(new CsvFileError('row_too_long', 4, 6, null), fr)).toBe("Ligne 4 : plus de colonnes que l'en-tête (colonne 6). Rien n'a été importé.")
    expect(csvFileErrorText(new CsvFileError('empty', 2, null, null), fr)).toBe("Le fichier ne contient aucun patient : rien n'a été importé.")
  })

  it('say what each row of the dry run will do, and why not', () => {
    const table = readCsvTable(new TextEncoder().encode('Nom;Prénom;Date de naissance;NIR\nMartin;Léa;12/03/1958;\nRoy;Jean;31/02/1975;258037505612399\nMartin;Léa;1958-03-12;\n'))
    expect(tableSummaryText(table, fr)).toBe('3 lignes lues (UTF-8, séparateur point-virgule).')
    const run = planImport(table, autoMapColumns(table.headers), [], '2026-11-18')
    expect(run.rows.map((row) => plannedRowText(row, fr))).toEqual([
      'Ligne 2 — Martin Léa : sera créé.',
      'Ligne 3 — Roy Jean : invalide — Date de naissance : Date invalide : choisissez un jour du calendrier. NIR (numéro de sécurité sociale) : Clé du NIR incorrecte : vérifiez les chiffres saisis.',
      'Ligne 4 — Martin Léa : même patient que la ligne 2, ne sera pas créé.',
    ])
  })

  it('say « sans nom » for a row that names nobody', () => {
    const table = readCsvTable(new TextEncoder().encode('Nom;Prénom;Ville\n;;Brest\n'))
    const [row] = planImport(table, autoMapColumns(table.headers), [], '2026-11-18').rows
    expect(plannedRowText(row!, fr)).toBe(
      'Ligne 2 — (sans nom) : invalide — Nom de naissance : Champ obligatoire. Prénom(s) : Champ obligatoire. Adresse (numéro et rue) : Champ obligatoire. Code postal : Champ obligatoire.',
    )
  })

  it('say why an undo keeps a patient', () => {
    expect(keptText({ name: 'Martin Léa', reason: 'appointments' }, fr)).toBe('Martin Léa (a des rendez-vous)')
  })
})
