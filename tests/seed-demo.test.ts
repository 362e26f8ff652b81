/**
 * `npm run seed-demo` against a real relay process: the command (its own Node process) joins a
 * practice with the pairing code from the environment or stdin, writes the demo data, and a
 * second device sees all of it; a pairing code passed as an argument is refused before anything.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createPractice, getPairingCode, joinPractice } from '../client/src/sync/device/device'
import { DIRECTORY_DOC_ID, agendaDocId } from '../shared/src/model/doc-ids'
import { listPatients } from '../shared/src/model/patients'
import { listPractitioners } from '../shared/src/model/practitioners'
import { appointmentEnd, listAppointments } from '../shared/src/model/agenda'
import { listAppointmentKinds } from '../shared/src/model/appointment-kinds'
import { checkNir } from '../shared/src/model/nir'
import { findDuplicates } from '../shared/src/model/patient-duplicates'
import { patientMonths } from '../shared/src/model/patient-months'
import { DEFAULT_WORKING_HOURS } from '../shared/src/model/working-hours'
import type { Appointment } from '../shared/src/model/record-schemas'
import { useRelayFixture } from './helpers/relay-fixture'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { waitFor } from './helpers/wait-for'

const fixture = useRelayFixture()
const repoRoot = fileURLToPath(new URL('..', import.meta.url))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function seedDemo(args: string[], options: { env?: Record<string, string>; stdin?: string }): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/bench/seed-demo-main.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, TOURNEE_PAIRING_CODE: '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  child.stdin.end(options.stdin ?? '')
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })))
}

function count(output: string, label: string): number {
  const match = new RegExp(`^\\s+${label}: (\\d+)`, 'm').exec(output)
  if (!match) throw new Error(`seed-demo printed no "${label}" count:\n${output}`)
  return Number(match[1])
}

async function newPractice() {
  const env = nodeDeviceEnvironment('seed-a')
  const a = await fixture.track(
    createPractice({ relayUrl: fixture.relay.url, practiceName: 'Cabinet Démo', practitioner: { displayName: 'Inès Quenouillère', profession: 'kine' } }, env),
  )
  return { a, code: await getPairingCode(a.record.spaceId, env) }
}

describe('npm run seed-demo', () => {
  it('fills a running practice through the relay; a second device sees every record', async () => {
    const { code } = await newPractice()
    const run = await seedDemo(['--practitioners=2', '--patients=40', '--months=2', '--seed=7'], { env: { TOURNEE_PAIRING_CODE: code } })
    expect(run.stderr + run.stdout).not.toContain(code)
    expect(run.code, run.stderr).toBe(0)
    // The seeder holds one room besides main at a time: no provider (and 'exit' listener) per room written.
    expect(run.stderr).not.toContain('MaxListenersExceededWarning')
    expect(count(run.stdout, 'patients')).toBe(40)
    expect(count(run.stdout, 'practitioners')).toBe(2)
    const appointments = count(run.stdout, 'appointments')
    expect(appointments).toBeGreaterThan(700)

    const b = await fixture.track(joinPractice(code, nodeDeviceEnvironment('seed-b')))
    const directory = await b.space.openDoc(DIRECTORY_DOC_ID)
    await waitFor(() => expect(listPatients(directory).items).toHaveLength(40), { timeoutMs: 30_000 })
    // The practice's own practitioner is reused: two in all, not three.
    expect(listPractitioners(directory).items.map((p) => p.displayName).sort()).toEqual(['Inès Quenouillère', 'Mathieu Delorme'])
    const patients = listPatients(directory).items
    expect(patients.filter((p) => p.nir !== undefined).length).toBeGreaterThan(20)
    for (const p of patients) if (p.nir !== undefined) expect(checkNir(p.nir)).toBe('ok')
    // Nothing printed names a patient.
    for (const p of patients) expect(run.stdout + run.stderr).not.toContain(p.birthName)

    const span = /over (\d+) month\(s\) from (\d{4})-(\d{2})/.exec(run.stdout)
    expect(span, run.stdout).not.toBeNull()
    const months = Array.from({ length: Number(span![1]) }, (_, i) => {
      const d = new Date(Date.UTC(Number(span![2]), Number(span![3]) - 1 + i, 1))
      return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`
    })
    expect(months).toHaveLength(2)
    // A month's room reaches a new device in several frames (half a megabyte of entries each), and
    // an open doc shows what has arrived so far: every appointment, once the rooms have synced.
    const docs = await Promise.all(months.map((month) => b.space.openDoc(agendaDocId(month))))
    const listed = () => docs.flatMap((doc) => listAppointments(doc).items)
    await waitFor(() => expect(listed()).toHaveLength(appointments), { timeoutMs: 30_000 })
    const all: Appointment[] = listed()
    expect(all.filter((a) => a.seriesId !== undefined).length).toBeGreaterThan(0)
    expect(all.filter((a) => a.status === 'cancelled').length).toBeGreaterThan(0)

    // A kiné week: mostly « Séance », a few « Bilan », some home visits, inside the working hours,
    // every practitioner at work every weekday, no patient twice.
    const labels = new Map(listAppointmentKinds(directory).items.map((k) => [k.id, k.label]))
    const share = (label: string) => all.filter((a) => labels.get(a.kindId ?? '') === label).length / all.length
    expect(share('Séance')).toBeGreaterThan(0.7)
    expect(share('Bilan')).toBeGreaterThan(0)
    expect(share('Bilan')).toBeLessThan(0.1)
    expect(all.filter((a) => a.place === 'home').length / all.length).toBeGreaterThan(0.05)
    const outside = all.filter((a) => {
      const start = a.start.slice(11)
      const end = appointmentEnd(a).slice(11)
      return !DEFAULT_WORKING_HOURS['1'].some((period) => start >= period.start && end <= period.end)
    })
    expect(outside.map((a) => a.start)).toEqual([])
    const days = new Set(all.map((a) => a.start.slice(0, 10)))
    for (const practitioner of listPractitioners(directory).items) {
      const worked = new Set(all.filter((a) => a.practitionerId === practitioner.id).map((a) => a.start.slice(0, 10)))
      expect([...days].filter((d) => !worked.has(d)), practitioner.displayName).toEqual([])
    }
    expect(findDuplicates(patients)).toEqual([])
    // Each patient's page finds their appointments: the months are in the index.
    const seenPatient = all[0]!.patientId!
    expect(patientMonths(directory, seenPatient)?.months).toContain(all[0]!.start.slice(0, 7))
  })

  it('reads the pairing code from stdin', async () => {
    const { a, code } = await newPractice()
    const run = await seedDemo(['--practitioners=1', '--patients=5', '--months=1'], { stdin: `${code}\n` })
    expect(run.code, run.stderr).toBe(0)
    expect(count(run.stdout, 'patients')).toBe(5)
    const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
    await waitFor(() => expect(listPatients(directory).items).toHaveLength(5), { timeoutMs: 30_000 })
  })

  it('refuses a pairing code given as an argument, without echoing it, and writes nothing', async () => {
    const { a, code } = await newPractice()
    const run = await seedDemo([code], { env: { TOURNEE_PAIRING_CODE: code } })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('TOURNEE_PAIRING_CODE')
    expect(run.stderr).not.toContain(code)
    const empty = await seedDemo(['--patients=5'], {})
    expect(empty.code).toBe(1)
    expect(empty.stderr).toContain('No pairing code')
    const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
    expect(listPatients(directory).items).toHaveLength(0)
  })
})
