/**
 * `npm run seed-demo` against a real relay process: the command (its own Node process) shows a
 * pairing code, a device of the practice accepts it as a person would (same six digits), the
 * command writes the demo data, and a second device sees all of it; an unknown argument is refused
 * before anything.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createPractice } from '../client/src/sync/device/device'
import { claimPairing } from '../client/src/sync/device/pairing'
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
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

const fixture = useRelayFixture()
const repoRoot = fileURLToPath(new URL('..', import.meta.url))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs the command; `accept`, when given, plays the person on a device of the practice: it gets
 * the code the command printed and the six digits the command showed, and accepts.
 */
function seedDemo(args: string[], accept?: (code: string, shownDigits: () => string | null) => Promise<void>): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/bench/seed-demo-main.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, TOURNEE_RELAY_URL: fixture.relay.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let accepted: Promise<void> | null = null
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    const code = /Code d'appairage : ([0-9A-Z]{5})-([0-9A-Z]{5})/.exec(stderr)
    if (code && accept && accepted === null) {
      const digits = () => /Code de confirmation : (\d{3}) (\d{3})/.exec(stderr)?.slice(1).join('') ?? null
      accepted = accept(code[1]! + code[2]!, digits)
    }
  })
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      void (accepted ?? Promise.resolve()).then(() => resolve({ code, stdout, stderr }), reject)
    }),
  )
}

/** A device of the practice accepts the pairing once the command shows the same six digits. */
function acceptOn(spaceId: string, env: ReturnType<typeof nodeDeviceEnvironment>) {
  return async (code: string, shownDigits: () => string | null) => {
    const claimed = await claimPairing(spaceId, code, env)
    await waitFor(() => expect(shownDigits()).toBe(claimed.confirmation), { timeoutMs: 20_000 })
    await claimed.accept()
  }
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
  return { a, env, code: await pairingTicket(a.record.spaceId, env) }
}

describe('npm run seed-demo', () => {
  it('fills a running practice through the relay; a second device sees every record', async () => {
    const { a, env, code } = await newPractice()
    const run = await seedDemo(['--practitioners=2', '--patients=40', '--months=2', '--seed=7'], acceptOn(a.record.spaceId, env))
    expect(run.code, run.stderr).toBe(0)
    // Nothing secret printed: not the payload, not its key.
    expect(run.stderr + run.stdout).not.toContain(code.code.slice(9, 60))
    // The seeder holds one room besides main at a time: no provider (and 'exit' listener) per room written.
    expect(run.stderr).not.toContain('MaxListenersExceededWarning')
    expect(count(run.stdout, 'patients')).toBe(40)
    expect(count(run.stdout, 'practitioners')).toBe(2)
    const appointments = count(run.stdout, 'appointments')
    expect(appointments).toBeGreaterThan(700)

    const b = await fixture.track(joinWith(code, nodeDeviceEnvironment('seed-b')))
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

  it('refuses an unknown argument without echoing it, and writes nothing', async () => {
    const { a, code } = await newPractice()
    const run = await seedDemo([code.code])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('Unknown argument')
    expect(run.stderr).not.toContain(code.code)
    const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
    expect(listPatients(directory).items).toHaveLength(0)
  })
})
