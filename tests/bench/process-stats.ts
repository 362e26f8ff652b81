/**
 * What a server process costs, read from Linux's /proc: resident memory and CPU time (user +
 * system), so the bench can charge memory per connection and CPU per update to the relay alone;
 * and the peak resident memory of a process (the kernel's high-water mark, so no peak between
 * two samples is missed).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

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

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces), or null if the process is gone. */
function statFields(pid: number): string[] | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    // Gone between the listing and the read (a backend that exited): its CPU is in its parent's cutime.
    return null
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/**
 * CPU time (user + system, ms) of a server made of a parent and its children, such as PostgreSQL
 * (the postmaster and one backend per connection, plus its writers): the parent's, every live
 * child's, and the children that exited and were waited for (the parent's cutime + cstime).
 */
export function processTreeCpuMs(rootPid: number): number {
  const root = statFields(rootPid)
  if (!root) throw new ProcStatsError(`Cannot read /proc/${rootPid}/stat (process gone, or not Linux)`)
  // After the name: state (0), ppid (1) … utime (11), stime (12), cutime (13), cstime (14).
  let ticks = Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14])
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const fields = statFields(Number(name))
    if (fields && Number(fields[1]) === rootPid) ticks += Number(fields[11]) + Number(fields[12])
  }
  if (!Number.isFinite(ticks)) throw new ProcStatsError(`/proc/${rootPid}/stat has no CPU times`)
  return (ticks * 1000) / TICKS_PER_SECOND
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  let status: string
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch (error) {
    throw new ProcStatsError(`Cannot read /proc/${pid} (process gone, or not Linux): ${String(error)}`)
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)
  if (!match) throw new ProcStatsError(`/proc/${pid}/status has no ${field} line`)
  return Number(match[1])
}

/** Peak resident memory (VmHWM) since the process started, or since `resetPeakRss`. */
export function peakRssBytes(pid: number = process.pid): number {
  return statusKiB(pid, 'VmHWM') * 1024
}

/**
 * Starts a new peak: writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0), so a
 * phase's peak is not one of an earlier phase. Allowed on the bench's own processes.
 */
export function resetPeakRss(pid: number = process.pid): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
  } catch (error) {
    throw new ProcStatsError(`Cannot reset the peak RSS of ${pid}: ${String(error)}`)
  }
}
