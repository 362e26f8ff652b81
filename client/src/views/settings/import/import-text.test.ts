import { describe, expect, it } from 'vitest'
import { createTranslator } from '../../../i18n/translator'
import { autoMapColumns } from '../../../import/csv-columns'
import { planImport } from '../../../import/csv-dry-run'
import { CsvFileError, readCsvTable } from '../../../import/csv-table'
import type { ImportBatch } from '../../../import/import-batch'
import type { UndoPlan } from '../../../import/import-undo'
import { batchText, csvFileErrorText, keptText, plannedRowText, tableSummaryText, undoPlanText } from './import-text'

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

  it('say why an undo keeps a patient, an appointment, a series', () => {
    expect(keptText({ kind: 'patient', id: 'p1', name: 'Martin Léa', reason: 'appointments' }, fr)).toBe('Martin Léa (a des rendez-vous)')
    expect(keptText({ kind: 'appointment', id: 'a1', start: '2026-12-14T09:00', name: 'Martin Léa', reason: 'edited' }, fr)).toBe('lundi 14 décembre 2026, 9 h — Martin Léa (modifié depuis)')
    expect(keptText({ kind: 'series', id: 's1', name: 'Groupe dos', reason: 'appointments' }, fr)).toBe('la série « Groupe dos » (a des rendez-vous)')
  })

  it('say what an undo removes: a patients-only import as before, any other by kind of record', () => {
    const plan = (remove: Partial<UndoPlan['remove']>): UndoPlan => {
      const all = { patients: [], appointments: [], series: [], absences: [], ...remove }
      const removeCount = all.patients.length + all.appointments.length + all.series.length + all.absences.length
      return { batchId: 'b', remove: all, removeCount, keep: [], gone: 0 }
    }
    expect(undoPlanText(plan({ patients: ['p1', 'p2'] }), false, fr)).toBe("2 patients créés par cet import seront supprimés (ils restent restaurables depuis l'historique).")
    const ics = plan({ appointments: [{ month: '2026-12', id: 'a1' }], series: ['s1'] })
    expect(undoPlanText(ics, false, fr)).toBe("Créés par cet import et inchangés depuis, seront supprimés (restaurables depuis l'historique) : 1 rendez-vous, 1 série.")
    expect(undoPlanText(ics, true, fr)).toBe('Import annulé, supprimés : 1 rendez-vous, 1 série.')
    expect(undoPlanText(plan({}), false, fr)).toBe('Plus rien à supprimer : ce que cet import a créé a déjà été supprimé, ou utilisé depuis.')
  })

  it('list each earlier import with what it created', () => {
    const batch = (source: ImportBatch['source'], made: Partial<ImportBatch>): ImportBatch => ({
      id: 'b',
      source,
      fileName: source === 'archive' ? 'export.zip' : 'agenda.ics',
      planned: 0,
      patients: [],
      appointments: [],
      written: new Map(),
      series: [],
      absences: [],
      createdAt: 0,
      stopped: false,
      kept: [],
      ...made,
    })
    const twoAppointments = [{ month: '2026-12', id: 'a1' }, { month: '2027-01', id: 'a2' }]
    expect(batchText(batch('calendar-ics', { appointments: twoAppointments }), '7 décembre', fr)).toBe('agenda.ics, le 7 décembre : 2 rendez-vous')
    expect(batchText(batch('archive', { patients: ['p1'], appointments: twoAppointments, absences: ['x'] }), '7 décembre', fr)).toBe('export.zip, le 7 décembre : 1 patient, 2 rendez-vous, 1 absence')
    expect(batchText(batch('calendar-ics', {}), '7 décembre', fr)).toBe('agenda.ics, le 7 décembre : rien de créé')
  })
})
