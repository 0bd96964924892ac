/**
 * The bare baseline for the webhook-ingest benchmark: an HTTP server that stores each request
 * body with one INSERT and answers 200, with no verification and no framework.
 * Run by webhook-ingest.bench.ts in its own process: `node --import tsx baseline-http-server.ts <databaseUrl> <port>`.
 */
import { createServer } from "node:http";
import pg from "pg";

const [databaseUrl, port] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
await pool.query(
  "CREATE TABLE IF NOT EXISTS bench_inbox (id bigserial PRIMARY KEY, payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())",
);

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    pool.query("INSERT INTO bench_inbox (payload) VALUES ($1::jsonb)", [Buffer.concat(chunks).toString("utf8")]).then(
      () => response.writeHead(200, { "content-type": "application/json" }).end('{"status":"stored"}'),
      () => response.writeHead(500).end(),
    );
  });
});
server.listen(Number(port), "127.0.0.1", () => console.log("listening"));
process.once("SIGTERM", () => server.close(() => void pool.end().then(() => process.exit(0))));
