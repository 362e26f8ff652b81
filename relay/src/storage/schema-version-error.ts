/** The database is of a schema this relay does not read (SQLite or PostgreSQL): what to do is in the message. */
export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError'
}
