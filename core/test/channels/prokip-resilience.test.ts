/**
 * The Prokip adapter when things go wrong, against the emulator over real HTTP: expired and
 * revoked tokens, the throttle, seeded 5xx/429 faults, and the rule that a sell is never sent
 * twice once it may have reached Prokip.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { prokip } from "@prokip-sync/sandbox";
import { pino } from "pino";
import {
  createProkipPos,
  type ProkipPosOptions,
  type ProkipTokens,
  signInToProkip,
} from "../../src/channels/prokip/index.ts";
import { ChannelError, type SellDraft } from "../../src/channels/types.ts";

const silent = pino({ level: "silent" });
const CBD = 210001;
const WESTLANDS = 210002;
const SHIRT = { productId: 430001, variationId: 550001 }; // Classic Shirt: 100 at CBD, 40 at Westlands

interface WireCall {
  method: string;
  path: string;
  status: number | null;
}

type Forward = () => Promise<Response>;
/** Decides what one request gets: usually `forward()`, or a made-up answer, or a thrown error. */
type Intercept = (call: WireCall, forward: Forward) => Promise<Response>;

function recordingFetch(intercept: Intercept = (_call, forward) => forward()) {
  const calls: WireCall[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const call: WireCall = { method: init?.method ?? "GET", path: url.pathname + url.search, status: null };
    calls.push(call);
    const response = await intercept(call, () => fetch(input, init));
    call.status = response.status;
    return response;
  };
  return { fetch: fetchFn, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/** What a connection error looks like from Node's fetch. */
const networkError = (code: string) =>
  new TypeError("fetch failed", { cause: Object.assign(new Error(`${code} (test)`), { code }) });

/** Lets the request reach Prokip, then loses the answer. */
const appliedThen = async (forward: Forward, outcome: Response | Error): Promise<Response> => {
  await (await forward()).text();
  if (outcome instanceof Error) throw outcome;
  return outcome;
};

interface Setup {
  emulator?: Parameters<typeof prokip.startProkipEmulator>[0];
  pos?: Partial<ProkipPosOptions>;
  intercept?: Intercept;
}

async function connect(t: TestContext, setup: Setup = {}) {
  const started = await prokip.startProkipEmulator({ port: 0, ...setup.emulator });
  t.after(() => started.close());
  const { emulator, url } = started;
  const demo = emulator.control.seedDemo();
  const credentials = { baseUrl: url, clientId: demo.clientId, clientSecret: demo.clientSecret };
  const wire = recordingFetch(setup.intercept);
  const store = {
    tokens: await signInToProkip({ ...credentials, username: demo.username, password: demo.password }),
    saved: [] as ProkipTokens[],
    loads: 0,
  };
  const tokenStore = {
    load: async () => {
      store.loads += 1;
      return store.tokens;
    },
    save: async (fresh: ProkipTokens) => {
      store.saved.push(fresh);
      store.tokens = fresh;
    },
  };
  const newPos = () =>
    createProkipPos({
      ...credentials,
      tokens: tokenStore,
      log: silent,
      fetch: wire.fetch,
      retry: { minDelayMs: 5, maxDelayMs: 20 },
      ...setup.pos,
    });
  const count = (method: string, pathStart: string) =>
    wire.calls.filter((c) => c.method === method && c.path.startsWith(pathStart)).length;
  return { emulator, demo, credentials, wire, store, pos: newPos(), newPos, count };
}

const sellDraft = (invoiceNo: string, quantity = 2): SellDraft => ({
  locationId: CBD,
  contactId: 320001,
  invoiceNo,
  transactionDate: new Date(),
  note: null,
  lines: [{ ...SHIRT, quantity, unitPrice: null }],
});

const isChannelError = (code: ChannelError["code"]) => (error: unknown) =>
  error instanceof ChannelError && error.code === code;

describe("tokens", () => {
  it("renews an expired access token once, saves the new pair and repeats the request", async (t) => {
    let clock = Date.now();
    const { pos, wire, store } = await connect(t, {
      emulator: { port: 0, accessTokenTtlSeconds: 60, now: () => clock },
    });
    const signedIn = store.tokens;
    clock += 120_000;

    assert.equal((await pos.listLocations()).length, 2);
    assert.deepEqual(
      wire.calls.map((c) => `${c.method} ${c.path} ${c.status}`),
      ["GET /connector/api/business-location 401", "POST /oauth/token 200", "GET /connector/api/business-location 200"],
    );
    assert.equal(store.saved.length, 1);
    assert.notEqual(store.saved[0]?.accessToken, signedIn.accessToken);
    assert.notEqual(store.saved[0]?.refreshToken, signedIn.refreshToken);
    assert.ok((store.saved[0]?.expiresAt?.getTime() ?? 0) > Date.now());
  });

  it("renews once for requests refused together", async (t) => {
    let clock = Date.now();
    const { pos, count, store } = await connect(t, {
      emulator: { port: 0, accessTokenTtlSeconds: 60, now: () => clock },
    });
    await pos.listLocations();
    clock += 120_000;
    const [locations, variations, reading] = await Promise.all([
      pos.listLocations(),
      pos.listVariations(),
      pos.readStock(CBD),
    ]);
    assert.equal(locations.length, 2);
    assert.equal(variations.length, 29);
    assert.equal(reading.quantities.get(SHIRT.variationId), 100);
    assert.equal(count("POST", "/oauth/token"), 1);
    assert.equal(store.saved.length, 1);
  });

  it("uses a pair another instance renewed instead of renewing again (which Prokip would refuse)", async (t) => {
    let clock = Date.now();
    const { pos, newPos, count, store } = await connect(t, {
      emulator: { port: 0, accessTokenTtlSeconds: 60, now: () => clock },
    });
    const other = newPos();
    await pos.listLocations();
    await other.listLocations();
    clock += 120_000;

    await pos.listLocations(); // renews and saves
    await other.listLocations(); // 401 with the old token: reloads the store, finds the new pair
    assert.equal(count("POST", "/oauth/token"), 1);
    assert.equal(store.saved.length, 1);
  });

  it("is unauthorized when the refresh token is refused", async (t) => {
    const { pos, store, count } = await connect(t);
    store.tokens = { accessToken: "revoked-access", refreshToken: "def50200revoked", expiresAt: null };
    await assert.rejects(
      pos.listLocations(),
      (error) => isChannelError("unauthorized")(error) && /sign in to Prokip again/.test((error as Error).message),
    );
    assert.equal(count("POST", "/oauth/token"), 1);
    assert.equal(store.saved.length, 0);
  });

  it("is unauthorized when the renewed token is refused too, after one renewal", async (t) => {
    const { pos, count, store } = await connect(t, {
      intercept: (call, forward) =>
        call.path.startsWith("/connector/") ? Promise.resolve(json(401, { message: "Unauthenticated." })) : forward(),
    });
    await assert.rejects(pos.listLocations(), isChannelError("unauthorized"));
    assert.equal(count("GET", "/connector/api/business-location"), 2);
    assert.equal(count("POST", "/oauth/token"), 1);
    assert.equal(store.saved.length, 1);
  });

  it("is unavailable, not unauthorized, when the renewal cannot reach Prokip", async (t) => {
    const { pos } = await connect(t, {
      pos: { retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 } },
      intercept: (call, forward) => {
        if (call.path.startsWith("/connector/")) return Promise.resolve(json(401, { message: "Unauthenticated." }));
        return call.path === "/oauth/token"
          ? Promise.resolve(json(503, { message: "Service Unavailable" }))
          : forward();
      },
    });
    await assert.rejects(pos.listLocations(), isChannelError("unavailable"));
  });
});

describe("pacing", () => {
  it("keeps a burst from two instances of one account inside Prokip's throttle", async (t) => {
    const limiter = { requests: 5, perMs: 1_000, marginMs: 100 };
    const { pos, newPos, wire } = await connect(t, {
      emulator: { port: 0, rateLimit: { limit: 5, windowSeconds: 1 } },
      pos: { limiter },
    });
    const other = newPos();
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? pos : other).readStock(i % 3 === 0 ? WESTLANDS : CBD)),
    );
    const elapsed = Date.now() - started;

    assert.equal(results.length, 12);
    for (const reading of results)
      assert.equal(reading.quantities.get(SHIRT.variationId), reading.locationId === CBD ? 100 : 40);
    assert.deepEqual(
      wire.calls.filter((c) => c.status !== 200),
      [],
    );
    assert.equal(wire.calls.length, 12);
    // 5 at once, 5 more a window later, the last 2 a window after that.
    assert.ok(elapsed >= 2_000, `a burst of 12 at 5 per second took only ${elapsed} ms`);
  });

  it("waits out Prokip's Retry-After when the throttle is hit anyway", async (t) => {
    // The adapter's own budget (60 a minute) is larger than this Prokip's (3 a second).
    const { pos, wire } = await connect(t, { emulator: { port: 0, rateLimit: { limit: 3, windowSeconds: 1 } } });
    const started = Date.now();
    const readings = await Promise.all(Array.from({ length: 5 }, () => pos.readStock(CBD)));
    const elapsed = Date.now() - started;
    for (const reading of readings) assert.equal(reading.quantities.get(SHIRT.variationId), 100);
    assert.ok(wire.calls.some((c) => c.status === 429));
    assert.ok(elapsed >= 900, `retried after ${elapsed} ms, before the 1 s Retry-After`);
  });
});

describe("retries", () => {
  it("retries reads through seeded 5xx and 429 faults to the right answers", async (t) => {
    const { pos, emulator, wire } = await connect(t, { pos: { retry: { retries: 8, minDelayMs: 5, maxDelayMs: 20 } } });
    emulator.faults.configure({ seed: 7, errorRate: 0.35, throttleBurstRate: 0.1, throttleBurstLength: 1 });

    assert.equal((await pos.listLocations()).length, 2);
    assert.equal((await pos.listVariations()).length, 29);
    assert.equal((await pos.readStock(CBD)).quantities.get(SHIRT.variationId), 100);
    assert.equal((await pos.readStock(WESTLANDS)).quantities.get(SHIRT.variationId), 40);
    assert.equal(await pos.defaultContactId(), 320001);
    assert.deepEqual(await pos.findSells({ locationId: CBD, from: new Date(), to: new Date() }), []);

    const statuses = wire.calls.map((c) => c.status);
    assert.ok(
      statuses.some((s) => s !== null && s >= 500),
      `no 5xx injected: ${statuses.join(",")}`,
    );
    assert.ok(statuses.includes(429), `no 429 injected: ${statuses.join(",")}`);
  });

  it("gives up on a read after the retries, as unavailable", async (t) => {
    const { pos, emulator, count } = await connect(t, { pos: { retry: { retries: 2, minDelayMs: 1, maxDelayMs: 1 } } });
    emulator.faults.configure({ errorRate: 1 });
    await assert.rejects(
      pos.listLocations(),
      (error) => isChannelError("unavailable")(error) && ((error as ChannelError).status ?? 0) >= 500,
    );
    assert.equal(count("GET", "/connector/api/business-location"), 3);
  });
});

describe("a sell is never posted twice", () => {
  it("does not retry a sell answered with a 5xx", async (t) => {
    const { pos, emulator, count } = await connect(t);
    emulator.faults.configure({ errorRate: 1 });
    await assert.rejects(pos.createSell(sellDraft("SHOP-5XX")), isChannelError("unavailable"));
    assert.equal(count("POST", "/connector/api/sell"), 1);
    assert.equal(emulator.control.listSells().length, 0);
  });

  it("does not retry a sell whose answer was lost after Prokip recorded it; findSells settles it", async (t) => {
    const { pos, emulator, count } = await connect(t, {
      intercept: (call, forward) =>
        call.method === "POST" && call.path === "/connector/api/sell"
          ? appliedThen(forward, json(500, { message: "Server Error" }))
          : forward(),
    });
    await assert.rejects(
      pos.createSell(sellDraft("SHOP-LOST")),
      (error) => isChannelError("unavailable")(error) && (error as ChannelError).status === 500,
    );
    assert.equal(count("POST", "/connector/api/sell"), 1);
    assert.equal(emulator.control.listSells().length, 1);
    assert.equal(emulator.control.getStock({ variationId: SHIRT.variationId, locationId: CBD }).quantity, 98);

    const found = await pos.findSells({ locationId: CBD, from: new Date(), to: new Date() });
    assert.deepEqual(
      found.map((s) => [s.invoiceNo, s.lines.map((l) => l.quantity)]),
      [["SHOP-LOST", [2]]],
    );
  });

  it("does not retry a sell after the connection was reset", async (t) => {
    const { pos, emulator, count } = await connect(t, {
      intercept: (call, forward) =>
        call.method === "POST" && call.path === "/connector/api/sell"
          ? appliedThen(forward, networkError("ECONNRESET"))
          : forward(),
    });
    await assert.rejects(pos.createSell(sellDraft("SHOP-RESET")), isChannelError("unavailable"));
    assert.equal(count("POST", "/connector/api/sell"), 1);
    assert.equal(emulator.control.listSells().length, 1);
  });

  it("does not retry a sell that timed out", async (t) => {
    const { pos, emulator, count } = await connect(t, { pos: { timeoutMs: 150 } });
    emulator.faults.configure({ latencyMs: { min: 400, max: 400 } });
    await assert.rejects(
      pos.createSell(sellDraft("SHOP-SLOW")),
      (error) => isChannelError("unavailable")(error) && /timeout/.test((error as Error).message),
    );
    assert.equal(count("POST", "/connector/api/sell"), 1);
    // Whether Prokip went on to record it depends on where the request was when the client
    // gave up; what matters is that it was sent once, so it exists at most once.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(emulator.control.listSells().length <= 1);
  });

  it("retries a sell refused by the throttle or by a connection never made", async (t) => {
    let attempts = 0;
    const { pos, emulator, count } = await connect(t, {
      intercept: async (call, forward) => {
        if (call.method !== "POST" || call.path !== "/connector/api/sell") return forward();
        attempts += 1;
        if (attempts === 1) return json(429, { message: "Too Many Attempts." }, { "retry-after": "0" });
        if (attempts === 2) throw networkError("ECONNREFUSED");
        return forward();
      },
    });
    const result = await pos.createSell(sellDraft("SHOP-RETRY"));
    assert.ok(result.ok);
    assert.equal(count("POST", "/connector/api/sell"), 3);
    assert.equal(emulator.control.listSells().length, 1);
    assert.equal(emulator.control.getStock({ variationId: SHIRT.variationId, locationId: CBD }).quantity, 98);
  });

  it("repeats a return after a 5xx: the quantities are cumulative, so stock moves once", async (t) => {
    let failed = false;
    const { pos, emulator, count } = await connect(t, {
      intercept: (call, forward) => {
        if (call.path !== "/connector/api/sell-return" || failed) return forward();
        failed = true;
        return appliedThen(forward, json(500, { message: "Server Error" }));
      },
    });
    const sold = await pos.createSell(sellDraft("SHOP-RETURN", 3));
    assert.ok(sold.ok);
    const sellLineId = sold.value.lines[0]?.sellLineId ?? 0;
    const returned = await pos.returnSell({
      sellId: sold.value.sellId,
      transactionDate: new Date(),
      lines: [{ sellLineId, quantity: 2, unitPrice: "1500.0000" }],
    });
    assert.ok(returned.ok);
    assert.equal(count("POST", "/connector/api/sell-return"), 2);
    assert.equal(emulator.control.getStock({ variationId: SHIRT.variationId, locationId: CBD }).quantity, 99);
  });

  it("repeats a delete after a 5xx", async (t) => {
    let failed = false;
    const { pos, emulator, count } = await connect(t, {
      intercept: (call, forward) => {
        if (call.method !== "DELETE" || failed) return forward();
        failed = true;
        return Promise.resolve(json(503, { message: "Service Unavailable" }));
      },
    });
    const sold = await pos.createSell(sellDraft("SHOP-DELETE"));
    assert.ok(sold.ok);
    assert.deepEqual(await pos.deleteSell(sold.value.sellId), { ok: true, value: null });
    assert.equal(count("DELETE", "/connector/api/sell/"), 2);
    assert.equal(emulator.control.getStock({ variationId: SHIRT.variationId, locationId: CBD }).quantity, 100);
  });
});
