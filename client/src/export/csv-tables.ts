/**
 * The three CSV tables of the archive — patients, rendez-vous, ordonnances — as columns and rows
 * (csv.ts writes them). Headers are French: they are what a spreadsheet user reads, and what the
 * import (issue 21, part 2) maps back automatically.
 */
import type { Appointment, AppointmentStatus, Patient, Prescription } from '../../../shared/src/model'
import { csvHeader, csvRow, frenchDate, frenchDateTime } from './csv'

export const PATIENT_COLUMNS = [
  'Identifiant',
  'Nom de naissance',
  "Nom d'usage",
  'Prénoms',
  'Sexe',
  'Date de naissance',
  'NIR',
  'Téléphone 1',
  'Téléphone 2',
  'Courriel',
  'Adresse',
  'Complément',
  'Code postal',
  'Ville',
  'Médecin traitant',
  'RPPS médecin traitant',
  'Mutuelle',
  'Étiquettes',
  'Archivé',
] as const

export function patientsHeader(): string {
  return csvHeader(PATIENT_COLUMNS)
}

export function patientRow(p: Patient): string {
  return csvRow([
    p.id,
    p.birthName,
    p.usualName,
    p.firstNames,
    p.sex,
    p.birthDate ? frenchDate(p.birthDate) : undefined,
    p.nir,
    p.phones?.[0],
    p.phones?.slice(1).join(', '),
    p.email,
    p.address?.line1,
    p.address?.line2,
    p.address?.postalCode,
    p.address?.city,
    p.referringDoctor?.name,
    p.referringDoctor?.rpps,
    p.insurance,
    p.tags?.join(', '),
    p.archived ? 'oui' : 'non',
  ])
}

export const APPOINTMENT_COLUMNS = [
  'Identifiant',
  'Date',
  'Heure',
  'Durée (min)',
  'Praticien',
  'Patient',
  'Identifiant patient',
  'Type',
  'Lieu',
  'Adresse',
  'Statut',
  "Motif d'annulation",
  'Série',
  'Ordonnance',
  'Note',
] as const

export const STATUS_LABELS: { readonly [S in AppointmentStatus]: string } = {
  booked: 'Prévu',
  arrived: 'Arrivé',
  fulfilled: 'Effectué',
  cancelled: 'Annulé',
  noshow: 'Absent',
}

export function appointmentsHeader(): string {
  return csvHeader(APPOINTMENT_COLUMNS)
}

export function appointmentRow(a: Appointment, names: { practitioner?: string | undefined; patient?: string | undefined; kind?: string | undefined }): string {
  const { date, time } = frenchDateTime(a.start)
  return csvRow([
    a.id,
    date,
    time,
    a.durationMin,
    names.practitioner,
    names.patient ?? a.title,
    a.patientId,
    names.kind,
    a.place === 'home' ? 'Domicile' : 'Cabinet',
    a.address ? [a.address.line1, a.address.line2, `${a.address.postalCode} ${a.address.city}`].filter(Boolean).join(', ') : undefined,
    STATUS_LABELS[a.status],
    a.status === 'cancelled' ? a.cancelReason : undefined,
    a.seriesId ? `${a.seriesId} (${a.occurrence ?? 1})` : undefined,
    a.prescriptionId,
    a.note,
  ])
}

export const PRESCRIPTION_COLUMNS = [
  'Identifiant',
  'Patient',
  'Identifiant patient',
  'Date',
  'Prescripteur',
  'RPPS prescripteur',
  'Indication',
  'Séances prescrites',
] as const

export function prescriptionsHeader(): string {
  return csvHeader(PRESCRIPTION_COLUMNS)
}

export function prescriptionRow(p: Prescription, patient: { id: string; name: string }): string {
  return csvRow([p.id, patient.name, patient.id, frenchDate(p.date), p.prescriberName, p.prescriberRpps, p.indication, p.sessionsPrescribed])
}
