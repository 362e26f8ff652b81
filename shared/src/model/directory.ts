/**
 * The `directory` doc: practice settings, practitioners, sites, appointment kinds and the patient
 * index. One module per collection; this one gathers them.
 */
export * from './practice'
export * from './practitioners'
export * from './sites'
export * from './appointment-kinds'
export * from './patients'
