import { PRACTITIONER_COLOURS } from '../../../../shared/src/model'
import type { PlainKey } from '../../i18n'

/**
 * The colours offered for practitioners and appointment kinds: those the model gives new
 * practitioners in turn, and the grey of a kind without one. Each has a name, so that a screen
 * reader says « Bleu » rather than a code. Any other '#rrggbb' is « Autre couleur ».
 */
export const PALETTE: readonly { readonly value: string; readonly name: PlainKey }[] = [
  { value: PRACTITIONER_COLOURS[0], name: 'settings.colour.blue' },
  { value: PRACTITIONER_COLOURS[1], name: 'settings.colour.green' },
  { value: PRACTITIONER_COLOURS[2], name: 'settings.colour.orange' },
  { value: PRACTITIONER_COLOURS[3], name: 'settings.colour.violet' },
  { value: PRACTITIONER_COLOURS[4], name: 'settings.colour.pink' },
  { value: PRACTITIONER_COLOURS[5], name: 'settings.colour.turquoise' },
  { value: PRACTITIONER_COLOURS[6], name: 'settings.colour.lime' },
  { value: PRACTITIONER_COLOURS[7], name: 'settings.colour.red' },
  { value: '#64748b', name: 'settings.colour.grey' },
]

/** The palette's name of a colour, or null for another one. */
export function colourName(colour: string): PlainKey | null {
  return PALETTE.find((c) => c.value === colour.toLowerCase())?.name ?? null
}
