/**
 * Where a start's time goes: a performance mark 'tournee:<step>' (a step's name, never data), read
 * by a browser profile or the big-practice bench (`BENCH_MARKS=1`, docs/performance.md (10)).
 */
export function startMark(step: string): void {
  globalThis.performance?.mark?.(`tournee:${step}`)
}
