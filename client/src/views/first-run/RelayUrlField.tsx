import { TextField } from '../form/fields'

/**
 * The relay's address, on the first-run forms (create, join): the page's own origin by default,
 * since the app is served by the relay it syncs with unless an IT person set up otherwise.
 */
export function RelayUrlField(props: { label: string; hint: string; error: string | undefined }) {
  return (
    <TextField
      name="relayUrl"
      label={props.label}
      hint={props.hint}
      type="url"
      inputMode="url"
      autoComplete="url"
      defaultValue={window.location.origin}
      error={props.error}
    />
  )
}
