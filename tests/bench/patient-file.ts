/**
 * Scenario (f) on its own (it builds its own 20,000-patient space; `npm run bench` does not run it,
 * to keep that run's memory bounded): prints a Markdown table and saves bench-results/<time>.json.
 *
 *   npx tsx tests/bench/patient-file.ts            20,000 patients, 2,000 long files, 200 opens
 *   npx tsx tests/bench/patient-file.ts --quick    2,000 patients, 200 long files, 50 opens
 */
import { fileURLToPath } from 'node:url'
import { localToday } from './fixture'
import { describeMachine, machineLine, markdownTable, saveResults } from './report'
import { runPatientFile } from './scenarios/patient-file'

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1'
const options = {
  patients: quick ? 2000 : 20_000,
  longFiles: quick ? 200 : 2000,
  opens: quick ? 50 : 200,
  seed: 20_261_123,
  today: localToday(),
}
const log = (line: string) => console.error(line)

async function main(): Promise<void> {
  const machine = describeMachine()
  log(`Tournée bench (f) — ${machineLine(machine)}`)
  const { rows, volume } = await runPatientFile(options, log)
  console.log(`Tournée bench (f), ${new Date().toISOString()}  \nMachine: ${machineLine(machine)}  \n` +
    `Space: ${volume.patients} patients, ${volume.longFiles} long files (${volume.notes} notes), envelope ${(volume.envelopeBytes! / 2 ** 20).toFixed(1)} MiB\n\n${markdownTable(rows)}\n`)
  log(`Saved ${saveResults(fileURLToPath(new URL('../../bench-results', import.meta.url)), { date: new Date().toISOString(), machine, options, volume, rows })}`)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
