/**
 * `npm run seed-demo`: fills a running practice with demo data (see seed-demo.ts).
 *
 *   npm run seed-demo -- --patients=500 --months=6
 *   npm run seed-demo -- --relay=https://relais.cabinet.example --patients=500
 *
 * It joins the practice as a new device does: it shows a pairing code, which a person types in
 * « Réglages › Ajouter un appareil » on a device of the practice, compares the six digits both
 * show, and accepts. Nothing secret is typed or printed.
 *
 * Options: --relay=URL (TOURNEE_RELAY_URL, else http://127.0.0.1:8080), --practitioners=N (2),
 * --patients=N (300), --months=N (3, around today), --seed=N.
 */
import 'fake-indexeddb/auto'
import WebSocket from 'ws'
import { groupedConfirmationCode } from '../../shared/src/devices/confirmation-code'
import { groupedPairingCode } from '../../shared/src/devices/pairing-wire'
import type { DeviceEnvironment } from '../../client/src/sync/device/device'
import { JoiningPairing } from '../../client/src/sync/device/pairing'
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

const DEFAULT_RELAY = 'http://127.0.0.1:8080'

function readArguments(argv: readonly string[]): { size: DemoSize; relayUrl: string } {
  const size = { ...DEFAULT_DEMO_SIZE }
  let relayUrl = process.env.TOURNEE_RELAY_URL?.trim() || DEFAULT_RELAY
  for (const arg of argv) {
    const relay = /^--relay=(https?:\/\/\S+)$/.exec(arg)
    if (relay) {
      relayUrl = relay[1]!
      continue
    }
    const match = /^--([a-z]+)=(\d+)$/.exec(arg)
    const name = match?.[1] as keyof DemoSize | undefined
    if (!match || !name || !(name in LIMITS)) {
      throw new SeedDemoUsageError(
        `Unknown argument "${arg.length > 40 ? `${arg.slice(0, 12)}…` : arg}": expected --relay=URL, --practitioners=N, --patients=N, --months=N, --seed=N.`,
      )
    }
    const value = Number(match[2])
    const [min, max] = LIMITS[name]
    if (value < min || value > max) throw new SeedDemoUsageError(`--${name} must be between ${min} and ${max}, got ${value}`)
    size[name] = value
  }
  return { size, relayUrl }
}

async function main(): Promise<void> {
  const { size, relayUrl } = readArguments(process.argv.slice(2))
  const env: DeviceEnvironment = {
    idbPrefix: 'seed-demo:',
    WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
    fetchImpl: fetch,
    crossTab: false,
  }
  const log = (line: string) => console.error(line)
  const join = async (joinEnv: DeviceEnvironment) => {
    const pairing = await JoiningPairing.open(relayUrl, joinEnv)
    log(`Code d'appairage : ${groupedPairingCode(pairing.code)} — saisissez-le dans Réglages › Ajouter un appareil (10 minutes).`)
    return pairing.wait({ onConfirmation: (code) => log(`Code de confirmation : ${groupedConfirmationCode(code)} — acceptez sur l'autre appareil s'il affiche le même.`) })
  }
  const result = await seedDemo(join, size, env, log)
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
