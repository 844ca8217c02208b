// Connects with node-postgres exactly as an XNodeApp backend does: the
// connection string from DATABASE_URL and nothing else. Prints the role and
// whether the session is encrypted; exits 1 with the error otherwise.
const { Client } = require('pg');

(async () => {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  try {
    await client.connect();
    const r = await client.query('select current_user as role, ssl from pg_stat_ssl where pid = pg_backend_pid()');
    console.log(`${r.rows[0].role} ${r.rows[0].ssl}`);
    await client.end();
  } catch (err) {
    console.error(`node-postgres: ${err.message}`);
    process.exit(1);
  }
})();
