/**
 * Which patient field each column of an imported file feeds. Headers are read the way people write
 * them — « Nom », « NOM », « Prénom », « Né(e) le », « N° SS », « Tél. portable » — so they are
 * compared once folded (`foldText`, as patient search folds): accents, case, punctuation and
 * spacing ignored (« N° S.S. » is 'n s s', which is why both 'n ss' and 'n s s' are listed). A
 * header nobody listed maps to nothing; the person picks its field on the mapping screen.
 *
 * Every target is a field of the patient form (patient-form.ts), so a row goes through the very
 * check the form makes. Phone columns may be several (« Tél. portable », « Tél. domicile »): their
 * numbers are kept together, as the form's one phone field does.
 */
import { foldText } from '../../../shared/src/model'
import { PATIENT_FIELDS } from '../views/patients/patient-form'
import type { PatientField } from '../views/patients/patient-form'

/** The form fields an import does not feed: access notes and tags are the practice's own, not another program's. */
type NotImported = 'address.accessNotes' | 'referringDoctor.rpps' | 'tags'
export type ImportTarget = Exclude<PatientField, NotImported>

const NOT_IMPORTED: ReadonlySet<PatientField> = new Set<NotImported>(['address.accessNotes', 'referringDoctor.rpps', 'tags'])

/** The fields an import may feed, in the patient form's order. */
export const IMPORT_TARGETS: readonly ImportTarget[] = PATIENT_FIELDS.filter((f): f is ImportTarget => !NOT_IMPORTED.has(f))

/** One entry per column of the file: the field it feeds, or null (not imported). */
export type ColumnMapping = readonly (ImportTarget | null)[]

/** The targets more than one column may feed. */
const REPEATABLE: ReadonlySet<ImportTarget> = new Set(['phone'])

const HEADERS: { readonly [T in ImportTarget]: readonly string[] } = {
  birthName: ['nom', 'nom de naissance', 'nom naissance', 'nom de jeune fille', 'nom patient', 'nom du patient', 'nom de famille', 'name', 'last name', 'lastname', 'family name', 'surname'],
  usualName: ['nom d usage', 'nom usage', 'nom usuel', 'nom marital', 'nom d epouse', 'used name'],
  firstNames: ['prenom', 'prenoms', 'prenom s', 'prenom patient', 'prenom du patient', 'first name', 'firstname', 'given name', 'given names'],
  sex: ['sexe', 'sex', 'genre', 'gender', 'civilite', 'titre'],
  birthDate: ['date de naissance', 'date naissance', 'naissance', 'ne le', 'ne e le', 'nee le', 'ddn', 'date of birth', 'birth date', 'birthdate', 'dob'],
  nir: ['nir', 'n ss', 'n s s', 'no ss', 'n de ss', 'num ss', 'numero ss', 'n secu', 'no secu', 'num secu', 'numero secu', 'secu', 'securite sociale', 'n securite sociale', 'no securite sociale', 'numero de securite sociale', 'n de securite sociale', 'insee', 'n insee', 'numero insee', 'matricule', 'immatriculation'],
  phone: ['tel', 'tel portable', 'tel mobile', 'tel fixe', 'tel domicile', 'tel travail', 'tel pro', 'telephone', 'telephone portable', 'telephone mobile', 'telephone fixe', 'telephone domicile', 'telephone travail', 'portable', 'mobile', 'fixe', 'gsm', 'phone', 'mobile phone', 'n de telephone', 'n telephone'],
  email: ['email', 'e mail', 'mail', 'courriel', 'adresse email', 'adresse e mail', 'adresse mail', 'adresse electronique'],
  'address.line1': ['adresse', 'adresse 1', 'adresse ligne 1', 'adresse postale', 'rue', 'voie', 'numero et rue', 'address', 'address 1', 'street'],
  'address.line2': ['adresse 2', 'adresse ligne 2', 'complement', 'complement d adresse', 'complement adresse', 'address 2'],
  'address.postalCode': ['code postal', 'cp', 'c p', 'postal code', 'postcode', 'zip', 'zip code'],
  'address.city': ['ville', 'commune', 'localite', 'city', 'town'],
  'referringDoctor.name': ['medecin traitant', 'medecin', 'medecin adresseur', 'medecin referent', 'prescripteur', 'medecin prescripteur'],
  insurance: ['mutuelle', 'complementaire sante', 'organisme', 'organisme complementaire', 'caisse', 'assurance'],
}

const BY_KEY: ReadonlyMap<string, ImportTarget> = new Map(
  IMPORT_TARGETS.flatMap((target) => HEADERS[target].map((header) => [header, target] as const)),
)

/**
 * The mapping the headers say. A target no column may repeat goes to the first column that names
 * it; a later one maps to nothing (the person can choose).
 */
export function autoMapColumns(headers: readonly string[]): ColumnMapping {
  const taken = new Set<ImportTarget>()
  return headers.map((header) => {
    const target = BY_KEY.get(foldText(header)) ?? null
    if (target === null || (taken.has(target) && !REPEATABLE.has(target))) return null
    taken.add(target)
    return target
  })
}

/** What a mapping lacks before a dry run makes sense: a name and first names, the form's required fields. */
export function missingTargets(mapping: ColumnMapping): ImportTarget[] {
  return (['birthName', 'firstNames'] as const).filter((t) => !mapping.includes(t))
}

/** Targets mapped by more than one column when only one may be. */
export function repeatedTargets(mapping: ColumnMapping): ImportTarget[] {
  const seen = new Set<ImportTarget>()
  const repeated = new Set<ImportTarget>()
  for (const t of mapping) {
    if (t === null) continue
    if (seen.has(t) && !REPEATABLE.has(t)) repeated.add(t)
    seen.add(t)
  }
  return [...repeated]
}
