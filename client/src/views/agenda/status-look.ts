/**
 * How each status looks on the grid, beside its colour (app.css, `.block--<status>`): a symbol
 * that tells them apart without colour. Absent and Annulé must not look alike: a no-show is a fact
 * about the patient (red, ✗, name kept), a cancellation frees the slot (grey, ⊘, name struck).
 */
import type { AppointmentStatus } from '../../../../shared/src/model'

export const STATUS_ICONS: { readonly [S in AppointmentStatus]: string } = {
  booked: '',
  arrived: '➜',
  fulfilled: '✓',
  noshow: '✗',
  cancelled: '⊘',
}

/** The statuses a block's detail sets in one tap (« Remettre à prévu » and cancelling are in the editor). */
export const QUICK_STATUSES = ['arrived', 'fulfilled', 'noshow'] as const
