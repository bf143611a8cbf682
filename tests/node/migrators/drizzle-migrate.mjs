// Runs drizzle-orm's own migrator (node-postgres) the way an app's migrate script does:
// node drizzle-migrate.mjs <migrations folder> [migrationsSchema] [migrationsTable]
// DATABASE_URL names the database. Prints the rows of the history table afterwards.
import pg from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";

const [folder, schema = "drizzle", table = "__drizzle_migrations"] = process.argv.slice(2);
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
try {
  await migrate(drizzle(client), { migrationsFolder: folder, migrationsSchema: schema, migrationsTable: table });
  const { rows } = await client.query(`SELECT hash, created_at FROM "${schema}"."${table}" ORDER BY id`);
  console.log(JSON.stringify(rows));
} finally {
  await client.end();
}
