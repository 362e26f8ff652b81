/** Every row of the windowed patient list has this height (CSS `.patient-row` matches it). */
export const ROW_HEIGHT = 64
/** Rows rendered beyond each edge of the view, so a fast flick does not show blank space. */
export const OVERSCAN = 6

/** Rows [first, last) to render for a scroll position: the visible ones plus a margin each side. */
export function visibleRange(scrollTop: number, viewport: number, count: number): { first: number; last: number } {
  const first = Math.max(0, Math.min(count, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN))
  const last = Math.min(count, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN)
  return { first, last }
}
