/**
 * « Réglages › Exporter le cabinet » in real Chromium: a practice with a patient and an
 * appointment, exported with the progress shown, the zip downloaded through the browser, and its
 * contents checked (FHIR lines valid against the R4 schema, the patient, the appointment in the
 * practitioner's calendar, the CSV, the manifest). Then the same offline: the export is the
 * device's job, the relay plays no part.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/export-practice.test.ts`.
 */
import { readFile } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useAppRelayAndBrowser } from './helpers/app-relay-and-browser'
import { useBrowserDevices } from './helpers/browser-devices'
import { addAppointment, createPractice, nav } from './helpers/practice-steps'
import { csvRows, fhirErrors, icsOccurrences, ndjsonLines, text, unzipArchive, type Archive } from '../helpers/export-archive'

const PRACTICE = { name: 'Cabinet des Tanneurs', practitioner: 'Solène Kerbrat' }

async function exportFrom(page: Page): Promise<{ archive: Archive; fileName: string }> {
  await nav(page, 'Réglages').click()
  const section = page.getByRole('region', { name: 'Exporter le cabinet', exact: true })
  await section.scrollIntoViewIfNeeded()
  const download = page.waitForEvent('download')
  await section.getByRole('button', { name: 'Exporter le cabinet' }).click()
  const file = await download
  await section.getByText('Archive prête.').waitFor()
  const path = await file.path()
  return { archive: unzipArchive([new Uint8Array(await readFile(path))]), fileName: file.suggestedFilename() }
}

describe.sequential('Réglages › Exporter le cabinet, in Chromium', () => {
  const shared = useAppRelayAndBrowser()
  const open = useBrowserDevices(shared)

  it('downloads a zip of the practice: FHIR, calendar, CSV and manifest; offline too', async () => {
    const device = await open('A')
    const { page } = device
    await createPractice(page, PRACTICE)
    await nav(page, 'Patients').click()
    const form = page.getByRole('form', { name: 'Nouveau patient' })
    await form.getByLabel('Nom de naissance').fill('Quéméner')
    await form.getByLabel('Prénom(s)').fill('Maëlle')
    await form.getByLabel('Date de naissance').fill('1958-03-12')
    await form.getByRole('button', { name: 'Enregistrer le patient' }).click()
    await form.getByText('Patient enregistré.').waitFor()
    await nav(page, 'Agenda').click()
    await addAppointment(page, { start: '10:00', patient: 'Quéméner Maëlle' })

    const { archive, fileName } = await exportFrom(page)
    expect(fileName).toMatch(/^tournee-Cabinet des Tanneurs-\d{4}-\d{2}-\d{2}\.zip$/)
    for (const path of Object.keys(archive).filter((p) => p.endsWith('.ndjson'))) {
      for (const resource of ndjsonLines(archive, path)) expect({ path, errors: fhirErrors(resource) }).toEqual({ path, errors: [] })
    }
    const [patient] = ndjsonLines(archive, 'fhir/Patient.ndjson')
    expect(patient).toMatchObject({ birthDate: '1958-03-12', name: [{ family: 'Quéméner', given: ['Maëlle'] }] })
    const appointments = ndjsonLines(archive, 'fhir/Appointment.ndjson')
    expect(appointments).toHaveLength(1)
    expect(appointments[0]).toMatchObject({ status: 'booked', minutesDuration: expect.any(Number) })
    const calendar = icsOccurrences(text(archive, `agenda/${PRACTICE.practitioner}.ics`))
    expect(calendar.map((o) => new Date(o.start).toISOString())).toEqual([appointments[0]!.start])
    const [header, row] = csvRows(archive, 'csv/patients.csv')
    expect(header![1]).toBe('Nom de naissance')
    expect(row!.slice(1, 6)).toEqual(['Quéméner', '', 'Maëlle', expect.any(String), '12/03/1958'])
    const manifest = JSON.parse(text(archive, 'manifest.json')) as { practice: string; clinical: boolean; counts: { resources: Record<string, number> } }
    expect(manifest).toMatchObject({ practice: PRACTICE.name, clinical: true, counts: { resources: { Patient: 1, Appointment: 1 } } })
    expect(text(archive, 'LISEZMOI.txt')).toContain(`Export du cabinet « ${PRACTICE.name} »`)

    // Offline, the same export: everything it reads is on the device.
    await device.context.setOffline(true)
    const offline = await exportFrom(page)
    expect(ndjsonLines(offline.archive, 'fhir/Appointment.ndjson').map((a) => a.id)).toEqual(appointments.map((a) => a.id))
    await device.context.setOffline(false)
  })
})
