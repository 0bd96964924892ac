/**
 * Errors Fastify raises itself, before any handler of ours runs, over real HTTP: each answers in
 * our shape `{error:{code,message}}` with one of our machine-readable codes, never Fastify's own.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { buildServer, Health, Metrics } from "../src/api/index.ts";
import { createLogger } from "../src/log/index.ts";

const app = buildServer({ log: createLogger({ level: "silent" }), health: new Health("test"), metrics: new Metrics() });
// A JSON route with a small limit, so Fastify's own body parser has something to refuse.
app.post("/echo", { bodyLimit: 64 }, async (request) => ({ got: request.body }));
let base = "";
before(async () => {
  await app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
after(() => app.close());

/** Sent on a raw socket: fetch() would normalise a malformed URL before sending it. */
function rawGet(target: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(base).port), "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    socket.on("error", reject);
    socket.on("end", () => {
      const [head, ...rest] = answer.split("\r\n\r\n");
      resolve({ status: Number(head!.split(" ")[1]), body: JSON.parse(rest.join("\r\n\r\n")) });
    });
    socket.write(`GET ${target} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n`);
  });
}

async function answer(response: Response) {
  return { status: response.status, body: (await response.json()) as unknown };
}

describe("errors Fastify raises before our handlers", () => {
  it("answers a malformed URL with 400 bad_url in our error shape", async () => {
    const got = await rawGet("/%zz");
    assert.deepEqual(got, {
      status: 400,
      body: { error: { code: "bad_url", message: "The request URL is not valid" } },
    });
  });

  it("answers an unsupported content type with 415 unsupported_media_type", async () => {
    const got = await answer(
      await fetch(`${base}/echo`, { method: "POST", headers: { "content-type": "text/csv" }, body: "a,b" }),
    );
    assert.equal(got.status, 415);
    assert.deepEqual(got.body, {
      error: { code: "unsupported_media_type", message: "This content type is not accepted" },
    });
  });

  it("answers a body over the limit with 413 body_too_large", async () => {
    const got = await answer(
      await fetch(`${base}/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ filler: "x".repeat(200) }),
      }),
    );
    assert.equal(got.status, 413);
    assert.deepEqual(got.body, { error: { code: "body_too_large", message: "The request body is too large" } });
  });

  it("answers a body that is not JSON with 400 invalid_json", async () => {
    const got = await answer(
      await fetch(`${base}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" }),
    );
    assert.deepEqual(got, {
      status: 400,
      body: { error: { code: "invalid_json", message: "The body is not valid JSON" } },
    });
  });

  it("answers an unknown route with 404 not_found", async () => {
    const got = await answer(await fetch(`${base}/no/such/route`));
    assert.deepEqual(got, {
      status: 404,
      body: { error: { code: "not_found", message: "No route for GET /no/such/route" } },
    });
  });

  it("still accepts a well-formed JSON body", async () => {
    const got = await answer(
      await fetch(`${base}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' }),
    );
    assert.deepEqual(got, { status: 200, body: { got: { a: 1 } } });
  });
});
