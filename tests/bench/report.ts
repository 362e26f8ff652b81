/**
 * What a bench run prints and saves: one Markdown table on stdout, and the same figures with every
 * raw sample in bench-results/<timestamp>.json, next to a description of the machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os'
import { join } from 'node:path'

export interface Machine {
  cores: number
  cpuModel: string
  node: string
  platform: string
  totalMemoryGiB: number
  freeMemoryGiB: number
  loadAverage: number[]
}

export function describeMachine(): Machine {
  const cpu = cpus()
  return {
    cores: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${platform()} ${release()}`,
    totalMemoryGiB: round(totalmem() / 2 ** 30, 1),
    freeMemoryGiB: round(freemem() / 2 ** 30, 1),
    loadAverage: loadavg().map((n) => round(n, 2)),
  }
}

export type Unit = 'ms' | 'bytes' | 'count'

/**
 * One line of the table: our figure, the floor and the baseline (stock y-websocket) measured in
 * the same run, and our ratios to each.
 */
export interface Row {
  scenario: string
  metric: string
  unit: Unit
  ours: number
  floor: number | null
  /** The plain stack: stock y-websocket server and clients, plaintext, one room per doc. */
  baseline?: number | null
  /** The same figure on the code before a change (a git ref), measured in the same run. */
  before?: number | null
  /** How `ours` was summarised (median of N, p95 of N, single measurement). */
  stat: string
  samples?: { ours: number[]; floor?: number[]; baseline?: number[]; before?: number[] }
  note?: string
}

export function round(n: number, digits = 0): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

function format(n: number | null, unit: Unit): string {
  if (n === null || Number.isNaN(n)) return '—'
  if (unit === 'bytes') {
    if (n >= 2 ** 20) return `${round(n / 2 ** 20, 2)} MiB`
    if (n >= 2 ** 10) return `${round(n / 2 ** 10, 1)} KiB`
    return `${n} B`
  }
  if (unit === 'ms') return n >= 100 ? `${round(n)} ms` : `${round(n, 1)} ms`
  return String(round(n, 1))
}

/** The columns "before" and "× before" appear only when a row has a figure of the code before a change. */
export function markdownTable(rows: readonly Row[]): string {
  const withBefore = rows.some((r) => r.before !== undefined)
  const lines = [
    `| scenario | metric | Tournée | floor | × floor | stock y-websocket | × stock |${withBefore ? ' before | × before |' : ''} statistic |`,
    `| --- | --- | ---: | ---: | ---: | ---: | ---: |${withBefore ? ' ---: | ---: |' : ''} --- |`,
  ]
  const ratioText = (ours: number, other: number | null | undefined) => (other ? `${round(ours / other, 2)}×` : '—')
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.metric}${r.note ? ` (${r.note})` : ''} | ${format(r.ours, r.unit)} | ${format(r.floor, r.unit)} | ${ratioText(r.ours, r.floor)} | ` +
        `${format(r.baseline ?? null, r.unit)} | ${ratioText(r.ours, r.baseline)} |` +
        `${withBefore ? ` ${format(r.before ?? null, r.unit)} | ${ratioText(r.ours, r.before)} |` : ''} ${r.stat} |`,
    )
  }
  return lines.join('\n')
}

export function machineLine(m: Machine): string {
  return `${m.cores} cores, ${m.cpuModel}, Node ${m.node}, ${m.totalMemoryGiB} GiB RAM, ${m.platform}, load ${m.loadAverage.join(' ')}`
}

export function saveResults(dir: string, payload: unknown): string {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n`)
  return file
}
