/**
 * What a server process costs, read from Linux's /proc: resident memory and CPU time (user +
 * system), so the bench can charge memory per connection and CPU per update to the relay alone.
 */
import { readFileSync } from 'node:fs'

export class ProcStatsError extends Error {
  override name = 'ProcStatsError'
}

export interface ProcessSample {
  rssBytes: number
  cpuMs: number
}

/** Clock ticks per second of /proc/<pid>/stat: 100 on every Linux the bench runs on (USER_HZ). */
const TICKS_PER_SECOND = 100

export function sampleProcess(pid: number): ProcessSample {
  let status: string
  let stat: string
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch (error) {
    throw new ProcStatsError(`Cannot read /proc/${pid} (process gone, or not Linux): ${String(error)}`)
  }
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (!rss) throw new ProcStatsError(`/proc/${pid}/status has no VmRSS line`)
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis):
  // utime is field 14 and stime field 15 of the whole line, i.e. 12th and 13th after ") ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new ProcStatsError(`/proc/${pid}/stat has no CPU times`)
  return { rssBytes: Number(rss[1]) * 1024, cpuMs: ((utime + stime) * 1000) / TICKS_PER_SECOND }
}
