// Opens a second connection to a test database from its connection description, as another
// process would: a separate SQLite connection to the same file, or a separate PostgreSQL pool with
// the search_path set to the test's schema.
import { openDatabase, type Database } from '../../db/database.ts';

export interface TestConnection {
  url: string;
  schema?: string | undefined;
}

export function openTestConnection(connection: TestConnection): Database {
  if (connection.url.startsWith('sqlite:')) {
    return openDatabase({ kind: 'sqlite', file: connection.url.slice('sqlite:'.length) });
  }
  if (!connection.schema) throw new Error('A PostgreSQL test connection needs the test schema');
  return openDatabase({ kind: 'postgres', url: connection.url }, { schema: connection.schema, poolSize: 4 });
}
