/**
 * What a benchmark scenario is: an id for `--only`, and a run that returns table rows. run.ts holds
 * the plain list of scenarios, in the order they run.
 */
import type { BenchPractice } from './fixture'
import type { BenchOptions } from './options'
import type { Row } from './report'

export interface BenchContext {
  readonly options: BenchOptions
  /** Progress, on stderr (stdout holds the table). */
  log(line: string): void
  /**
   * The shared practice (a real relay, device A holding the generated data), set up on first use
   * and disposed after the last scenario. A scenario that stops its relay restarts it before returning.
   */
  practice(): Promise<BenchPractice>
  /**
   * What every relay the bench starts for a practice gets in its environment: the built app to
   * serve (TOURNEE_STATIC_DIR) when a scenario joins in Chromium (app-build.ts), else nothing.
   */
  relayEnv(): Promise<Record<string, string>>
  /** Saves scenario figures that do not fit the table into the JSON output. */
  detail(key: string, value: unknown): void
}

export interface Scenario {
  /** For --only, e.g. 'fresh-device'. */
  readonly id: string
  /** False: a whole `--quick` bench leaves it out (naming it in --only still runs it). */
  readonly inQuickRun?: boolean
  run(context: BenchContext): Promise<Row[]>
}
