import { useId, useRef, useState } from 'react'
import { useT } from '../../i18n'
import { PALETTE } from './colour-palette'

/**
 * A colour, chosen among named swatches (radio buttons a finger can hit, each read by its name)
 * or any other with the device's colour picker. The form reads it under `name` as '#rrggbb'.
 */
export function ColourField(props: { name: string; legend: string; defaultValue: string; error?: string | undefined }) {
  const { t } = useT()
  const id = useId()
  const [value, setValue] = useState(props.defaultValue.toLowerCase())
  const picker = useRef<HTMLInputElement>(null)
  const custom = !PALETTE.some((c) => c.value === value)
  return (
    <fieldset className={props.error ? 'colour-field field--invalid' : 'colour-field'} role="radiogroup" aria-labelledby={`${id}-legend`}>
      <legend id={`${id}-legend`} className="field__label">
        {props.legend}
      </legend>
      <div className="colour-field__choices">
        {PALETTE.map((colour) => (
          <label key={colour.value} className="colour-field__swatch" title={t(colour.name)}>
            <input
              type="radio"
              name={props.name}
              value={colour.value}
              checked={value === colour.value}
              onChange={() => setValue(colour.value)}
              aria-label={t(colour.name)}
            />
            <span aria-hidden="true" style={{ background: colour.value }} />
          </label>
        ))}
        <label className="colour-field__custom">
          <input
            type="radio"
            name={props.name}
            value={value}
            checked={custom}
            // Choosing « Autre couleur » opens the device's colour picker.
            onChange={() => picker.current?.click()}
            aria-label={t('settings.colour.other')}
          />
          <input
            ref={picker}
            type="color"
            value={value}
            aria-label={t('settings.colour.pick')}
            onChange={(event) => setValue(event.currentTarget.value.toLowerCase())}
          />
          <span>{t('settings.colour.other')}</span>
        </label>
      </div>
      {props.error ? <p className="field__error">{props.error}</p> : null}
    </fieldset>
  )
}
