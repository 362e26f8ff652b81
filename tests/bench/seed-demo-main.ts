/**
 * `npm run seed-demo`: fills a running practice with demo data (see seed-demo.ts).
 *
 *   TOURNEE_PAIRING_CODE=… npm run seed-demo -- --patients=500 --months=6
 *   npm run seed-demo < code.txt            (or paste the code when asked)
 *
 * Options: --practitioners=N (2), --patients=N (300), --months=N (3, around today), --seed=N.
 * The pairing code comes from TOURNEE_PAIRING_CODE or stdin, never from an argument: arguments
 * are visible to every user of the machine (ps) and stay in shell history, and the code holds the key.
 */
import 'fake-indexeddb/auto'
import { createInterface } from 'node:readline'
import WebSocket from 'ws'
import type { DeviceEnvironment } from '../../client/src/sync/device/device'
import { DEFAULT_DEMO_SIZE, seedDemo, type DemoSize } from './seed-demo'

export class SeedDemoUsageError extends Error {
  override name = 'SeedDemoUsageError'
}

const LIMITS: Record<keyof DemoSize, readonly [min: number, max: number]> = {
  practitioners: [1, 10],
  patients: [1, 20_000],
  months: [1, 24],
  seed: [1, 2 ** 31 - 1],
}

function readSize(argv: readonly string[]): DemoSize {
  const size = { ...DEFAULT_DEMO_SIZE }
  for (const arg of argv) {
    const match = /^--([a-z]+)=(\d+)$/.exec(arg)
    const name = match?.[1] as keyof DemoSize | undefined
    if (!match || !name || !(name in LIMITS)) {
      throw new SeedDemoUsageError(
        `Unknown argument "${arg.length > 40 ? `${arg.slice(0, 12)}…` : arg}": expected --practitioners=N, --patients=N, --months=N, --seed=N. ` +
          'The pairing code is read from TOURNEE_PAIRING_CODE or stdin, never from an argument.',
      )
    }
    const value = Number(match[2])
    const [min, max] = LIMITS[name]
    if (value < min || value > max) throw new SeedDemoUsageError(`--${name} must be between ${min} and ${max}, got ${value}`)
    size[name] = value
  }
  return size
}

async function readPairingCode(): Promise<string> {
  const fromEnv = process.env.TOURNEE_PAIRING_CODE?.trim()
  if (fromEnv) return fromEnv
  if (process.stdin.isTTY) process.stderr.write('Pairing code (Réglages → Appairer un appareil): ')
  const lines = createInterface({ input: process.stdin, terminal: false })
  for await (const line of lines) {
    if (line.trim()) {
      lines.close()
      return line.trim()
    }
  }
  throw new SeedDemoUsageError('No pairing code: set TOURNEE_PAIRING_CODE or write the code on stdin.')
}

async function main(): Promise<void> {
  const size = readSize(process.argv.slice(2))
  const code = await readPairingCode()
  const env: DeviceEnvironment = {
    idbPrefix: 'seed-demo:',
    WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
    fetchImpl: fetch,
    crossTab: false,
  }
  const log = (line: string) => console.error(line)
  const result = await seedDemo(code, size, env, log)
  const w = result.written
  console.log(
    [
      `Demo data written to practice "${result.practiceName}" (space ${result.spaceId}), acknowledged by the relay:`,
      `  practitioners: ${w.practitionerIds.length}`,
      `  patients: ${w.patientIds.length}`,
      `  appointments: ${w.appointments} (${w.seriesAppointments} in ${w.series} series) over ${result.months} month(s) from ${result.firstMonth}`,
      `  patient files: ${w.patientDocIds.length} (${w.notes} notes)`,
    ].join('\n'),
  )
}

main().then(
  // The device is destroyed; fake-indexeddb and provider timers may linger: the work is done.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error)
    process.exit(1)
  },
)
