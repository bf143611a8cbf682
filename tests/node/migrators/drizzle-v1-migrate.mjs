// Runs drizzle-orm 1.0's own migrator (node-postgres) on a drizzle-kit 1.0 folder, as an
// app's migrate script does: node drizzle-v1-migrate.mjs <migrations folder>
// DATABASE_URL names the database. Prints the rows of the history table afterwards.
import pg from "pg";
import { drizzle } from "drizzle-orm-v1/node-postgres";
import { migrate } from "drizzle-orm-v1/node-postgres/migrator";

const [folder] = process.argv.slice(2);
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
try {
  await migrate(drizzle({ client }), { migrationsFolder: folder });
  const { rows } = await client.query(
    'SELECT hash, created_at, name, applied_at IS NULL AS upgraded FROM "drizzle"."__drizzle_migrations" ORDER BY id');
  console.log(JSON.stringify(rows));
} finally {
  await client.end();
}
