/**
 * What the archive says about itself: `manifest.json` for software (the FHIR files listed as a
 * Bulk Data manifest's `output`, counts per type) and `LISEZMOI.txt` for people (French, CRLF, so
 * that any text editor on any system shows it).
 */

export interface ExportCounts {
  /** FHIR resources per type. */
  resources: Record<string, number>
  /** Data rows per CSV file (header aside). */
  csvRows: Record<string, number>
  /** VEVENTs per calendar file (a series written as a rule is one). */
  icsEvents: Record<string, number>
  attachments: number
  /** Attachments whose bytes this device could not read (offline and not kept here, or no store). */
  attachmentsMissing: number
  /** Records this device could not read (malformed, or from a newer version): left out. */
  unreadableRecords: number
}

export interface ExportManifest {
  readonly format: 'tournee-export'
  readonly formatVersion: 1
  readonly tourneeVersion: string
  /** ISO instant. */
  readonly exportedAt: string
  readonly practice: string
  readonly timeZone: string
  /** Whether the clinical files are in the archive (a secretary's device holds none). */
  readonly clinical: boolean
  readonly counts: ExportCounts
  /** Bulk Data manifest style: one entry per NDJSON file. */
  readonly output: ReadonlyArray<{ type: string; url: string; count: number }>
  readonly files: ReadonlyArray<{ path: string; description: string }>
  readonly notes: readonly string[]
}

export const FORMAT_VERSION = 1

export function buildManifest(input: {
  now: number
  appVersion: string
  practiceName: string
  timeZone: string
  readsClinical: boolean
  hasAttachmentStore: boolean
  counts: ExportCounts
  outputs: ReadonlyArray<{ type: string; path: string; count: number }>
  icsFiles: ReadonlyArray<{ path: string; practitioner: string }>
}): ExportManifest {
  const { counts } = input
  const output = input.outputs.map(({ type, path, count }) => ({ type, url: path, count }))
  const files = [
    ...output.map(({ type, url }) => ({ path: url, description: FHIR_DESCRIPTIONS[url.endsWith('.pieces-jointes.ndjson') ? 'Attachments' : type] ?? `FHIR R4 ${type}` })),
    ...input.icsFiles.map(({ path, practitioner }) => ({ path, description: `Agenda de ${practitioner} (iCalendar, heure de ${input.timeZone})` })),
    { path: 'csv/patients.csv', description: 'Patients (CSV : UTF-8 avec BOM, séparateur « ; », dates jj/mm/aaaa)' },
    { path: 'csv/rendez-vous.csv', description: 'Rendez-vous, annulés compris (CSV)' },
    ...(input.readsClinical ? [{ path: 'csv/ordonnances.csv', description: 'Ordonnances (CSV)' }] : []),
    ...(counts.attachments > 0 ? [{ path: 'pieces-jointes/', description: 'Pièces jointes, un dossier par patient, sous leur nom' }] : []),
    { path: 'manifest.json', description: "Ce qu'est chaque fichier, et les comptes (pour les logiciels)" },
    { path: 'LISEZMOI.txt', description: 'Ce fichier, pour les personnes' },
  ]
  const notes = [
    ...(input.readsClinical
      ? []
      : ["Cet appareil est celui d'un secrétariat : il ne détient pas les dossiers cliniques. Notes, bilans, ordonnances et pièces jointes ne sont pas dans cette archive ; exportez depuis l'appareil d'un praticien pour les avoir."]),
    ...(input.readsClinical && !input.hasAttachmentStore ? ["Les pièces jointes n'ont pas pu être lues sur cet appareil : seules leurs références sont dans l'archive."] : []),
    ...(counts.attachmentsMissing > 0
      ? [`${counts.attachmentsMissing} pièce(s) jointe(s) absente(s) : cet appareil ne les avait pas et n'a pas pu les obtenir du relais (hors ligne ?). Leurs références sont dans fhir/DocumentReference.pieces-jointes.ndjson.`]
      : []),
    ...(counts.unreadableRecords > 0 ? [`${counts.unreadableRecords} fiche(s) illisible(s) sur cet appareil (abîmée(s) ou d'une version plus récente) : laissée(s) de côté.`] : []),
    "Les agendas (.ics) montrent les rendez-vous à honorer : les rendez-vous annulés sont dans les fichiers FHIR et CSV seulement.",
    'Le NIR est exporté comme identifiant saisi, non comme INS qualifiée : il n’a pas été vérifié auprès du téléservice INSi.',
  ]
  return {
    format: 'tournee-export',
    formatVersion: FORMAT_VERSION,
    tourneeVersion: input.appVersion,
    exportedAt: new Date(input.now).toISOString(),
    practice: input.practiceName,
    timeZone: input.timeZone,
    clinical: input.readsClinical,
    counts,
    output,
    files,
    notes,
  }
}

const FHIR_DESCRIPTIONS: Record<string, string> = {
  Organization: 'Le cabinet (FHIR R4 Organization, NDJSON)',
  Location: 'Lieux : le cabinet, ses sites, « domicile du patient » (FHIR R4 Location)',
  Practitioner: 'Praticiens, avec leur RPPS quand il est connu (FHIR R4 Practitioner)',
  PractitionerRole: 'Profession de chaque praticien au cabinet, et ses absences (FHIR R4 PractitionerRole, notAvailable)',
  HealthcareService: 'Types de rendez-vous : libellé, durée par défaut, couleur (FHIR R4 HealthcareService)',
  Basic: 'Séries de rendez-vous : règle de répétition, première séance, nombre (FHIR R4 Basic)',
  Patient: 'Patients : identité, contact, adresse, NIR, refus des rappels (FHIR R4 Patient)',
  Appointment: 'Rendez-vous, chaque séance d’une série comprise, annulés compris (FHIR R4 Appointment)',
  ServiceRequest: 'Ordonnances : prescripteur, date, séances prescrites (FHIR R4 ServiceRequest)',
  DocumentReference: 'Notes de séance et bilans, leur texte inclus (FHIR R4 DocumentReference)',
  Attachments: 'Pièces jointes : références vers leurs fichiers (FHIR R4 DocumentReference)',
  Provenance: 'Historique : qui a créé et modifié en dernier chaque rendez-vous et chaque note, quand, depuis quel appareil (FHIR R4 Provenance)',
  AuditEvent: 'Journal des accès : chaque ouverture d’un dossier patient, par qui, quand, depuis quel appareil (FHIR R4 AuditEvent)',
}

const CRLF = '\r\n'

/** LISEZMOI.txt: the manifest, for a person. */
export function readme(manifest: ExportManifest): string {
  const lines = [
    `Export du cabinet « ${manifest.practice} »`,
    `Fait le ${manifest.exportedAt} par Tournée ${manifest.tourneeVersion}.`,
    '',
    'Cette archive contient tout ce que cet appareil détenait du cabinet, dans des formats ouverts',
    "que d'autres logiciels lisent : FHIR R4 (NDJSON, disposition « Bulk Data »), iCalendar et CSV.",
    '',
    'Fichiers :',
    ...manifest.files.map((f) => `  ${f.path} — ${f.description}`),
    '',
    'Comptes :',
    ...Object.entries(manifest.counts.resources).map(([type, n]) => `  ${type} : ${n}`),
    ...Object.entries(manifest.counts.csvRows).map(([file, n]) => `  ${file} : ${n} ligne(s)`),
    ...Object.entries(manifest.counts.icsEvents).map(([file, n]) => `  ${file} : ${n} événement(s)`),
    `  Pièces jointes : ${manifest.counts.attachments}`,
    '',
    'À savoir :',
    ...manifest.notes.map((note) => `  - ${note}`),
    '',
  ]
  return lines.join(CRLF)
}
