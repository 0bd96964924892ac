/**
 * The Prokip adapter against the Prokip emulator over real HTTP: sign-in, reads, and the
 * write paths (sell, cumulative return, delete, finding a sell again), with the payloads sent
 * and the stock figures the emulator ends up with.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { prokip } from "@prokip-sync/sandbox";
import { pino } from "pino";
import { createProkipPos, type ProkipTokens, signInToProkip } from "../../src/channels/prokip/index.ts";
import { ChannelError, type PosSystem } from "../../src/channels/types.ts";

const silent = pino({ level: "silent" });
const fastRetry = { minDelayMs: 5, maxDelayMs: 20 };
const CBD = 210001;
const WESTLANDS = 210002;

interface WireCall {
  method: string;
  path: string;
  body: string | undefined;
  headers: Headers;
  status: number | null;
}

/** A fetch that records every request the adapter makes. */
function recordingFetch() {
  const calls: WireCall[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const call: WireCall = {
      method: init?.method ?? "GET",
      path: url.pathname + url.search,
      body: typeof init?.body === "string" ? init.body : undefined,
      headers: new Headers(init?.headers),
      status: null,
    };
    calls.push(call);
    const response = await fetch(input, init);
    call.status = response.status;
    return response;
  };
  return { fetch: fetchFn, calls };
}

async function connect(t: TestContext) {
  const started = await prokip.startProkipEmulator({ port: 0 });
  t.after(() => started.close());
  const { emulator, url } = started;
  const demo = emulator.control.seedDemo();
  const credentials = { baseUrl: url, clientId: demo.clientId, clientSecret: demo.clientSecret };
  const wire = recordingFetch();
  let tokens = await signInToProkip({
    ...credentials,
    username: demo.username,
    password: demo.password,
    fetch: wire.fetch,
  });
  const pos: PosSystem = createProkipPos({
    ...credentials,
    tokens: { load: async () => tokens, save: async (fresh: ProkipTokens) => void (tokens = fresh) },
    log: silent,
    fetch: wire.fetch,
    retry: fastRetry,
  });
  wire.calls.length = 0;

  const variation = (sku: string) => {
    for (const product of demo.products) {
      const found = product.variations.find((v) => v.subSku === sku);
      if (found) return { productId: product.productId, variationId: found.variationId };
    }
    throw new Error(`no demo variation ${sku}`);
  };
  const stock = (sku: string, locationId: number) =>
    emulator.control.getStock({ variationId: variation(sku).variationId, locationId }).quantity;
  return { emulator, url, demo, credentials, pos, wire, variation, stock };
}

const draft = (
  lines: { productId: number; variationId: number; quantity: number; unitPrice?: string | null }[],
  invoiceNo = "SHOP-1001",
) => ({
  locationId: CBD,
  contactId: 320001,
  invoiceNo,
  transactionDate: new Date("2026-03-04T05:06:07Z"),
  note: "Shopify order #1001",
  lines: lines.map((l) => ({ ...l, unitPrice: l.unitPrice ?? null })),
});

describe("signInToProkip", () => {
  it("exchanges the username and password for tokens with the password grant", async (t) => {
    const started = await prokip.startProkipEmulator({ port: 0 });
    t.after(() => started.close());
    const demo = started.emulator.control.seedDemo();
    const wire = recordingFetch();
    const before = Date.now();
    const tokens = await signInToProkip({
      baseUrl: started.url,
      clientId: demo.clientId,
      clientSecret: demo.clientSecret,
      username: "demo",
      password: "demo-password",
      fetch: wire.fetch,
    });

    assert.match(tokens.accessToken, /^ey/);
    assert.match(tokens.refreshToken, /^def50200/);
    // Passport's default lifetime: one year.
    assert.ok(tokens.expiresAt && tokens.expiresAt.getTime() >= before + 364 * 24 * 3600 * 1000);

    assert.equal(wire.calls.length, 1);
    const [call] = wire.calls;
    assert.equal(call?.method, "POST");
    assert.equal(call?.path, "/oauth/token");
    assert.equal(call?.headers.get("accept"), "application/json");
    assert.equal(call?.headers.get("content-type"), "application/x-www-form-urlencoded");
    const form = new URLSearchParams(call?.body);
    assert.deepEqual(Object.fromEntries(form), {
      grant_type: "password",
      username: "demo",
      password: "demo-password",
      client_id: "9001",
      client_secret: demo.clientSecret,
      scope: "",
    });
  });

  it("reports a wrong password as unauthorized", async (t) => {
    const started = await prokip.startProkipEmulator({ port: 0 });
    t.after(() => started.close());
    const demo = started.emulator.control.seedDemo();
    await assert.rejects(
      signInToProkip({
        baseUrl: started.url,
        clientId: demo.clientId,
        clientSecret: demo.clientSecret,
        username: "demo",
        password: "wrong",
      }),
      (error) =>
        error instanceof ChannelError &&
        error.code === "unauthorized" &&
        error.message === "Prokip rejected the username or password" &&
        error.status === 400,
    );
  });

  it("reports a wrong client secret as unauthorized, naming the client", async (t) => {
    const started = await prokip.startProkipEmulator({ port: 0 });
    t.after(() => started.close());
    const demo = started.emulator.control.seedDemo();
    await assert.rejects(
      signInToProkip({
        baseUrl: started.url,
        clientId: demo.clientId,
        clientSecret: "not-the-secret",
        username: "demo",
        password: "demo-password",
      }),
      (error) =>
        error instanceof ChannelError &&
        error.code === "unauthorized" &&
        error.message === "Prokip rejected the API client id or secret",
    );
  });

  it("reports an unreachable Prokip as unavailable", async () => {
    // A port that was just free: nothing listens there.
    const started = await prokip.startProkipEmulator({ port: 0 });
    const { url } = started;
    await started.close();
    await assert.rejects(
      signInToProkip({
        baseUrl: url,
        clientId: "9001",
        clientSecret: "x",
        username: "demo",
        password: "demo-password",
        retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 },
      }),
      (error) =>
        error instanceof ChannelError &&
        error.code === "unavailable" &&
        error.message.startsWith("Prokip is not reachable right now"),
    );
  });
});

describe("createProkipPos reads", () => {
  it("has no product, stock or webhook endpoints to offer", async (t) => {
    const { pos } = await connect(t);
    assert.deepEqual(pos.capabilities, { createProducts: false, setStock: false, webhooks: false });
  });

  it("lists the business locations with their codes", async (t) => {
    const { pos, wire } = await connect(t);
    assert.deepEqual(await pos.listLocations(), [
      { id: CBD, code: "BL0001", name: "Nairobi CBD Store", active: true },
      { id: WESTLANDS, code: "BL0002", name: "Westlands Warehouse", active: true },
    ]);
    assert.equal(wire.calls[0]?.path, "/connector/api/business-location");
    assert.equal(wire.calls[0]?.headers.get("accept"), "application/json");
    assert.match(wire.calls[0]?.headers.get("authorization") ?? "", /^Bearer ey/);
  });

  it("lists every variation in one call, with names, SKUs and whole units per location", async (t) => {
    const { pos, wire, emulator, variation } = await connect(t);
    // Fractions are rounded down, negative ones too.
    emulator.control.setStock({
      variationId: variation("mug-ceramic").variationId,
      locationId: WESTLANDS,
      quantity: "7.9000",
    });
    emulator.control.setStock({
      variationId: variation("note-a5").variationId,
      locationId: WESTLANDS,
      quantity: "-1.5000",
    });

    const variations = await pos.listVariations();
    assert.deepEqual(
      wire.calls.map((c) => c.path),
      ["/connector/api/variation?per_page=-1"],
    );
    assert.equal(variations.length, 29);
    assert.equal(new Set(variations.map((v) => v.sku)).size, 29);

    const bySku = new Map(variations.map((v) => [v.sku, v]));
    const shirt = bySku.get("shirt1");
    assert.deepEqual(shirt, {
      productId: variation("shirt1").productId,
      variationId: variation("shirt1").variationId,
      productName: "Classic Shirt",
      // The DUMMY variation of a single product carries the product's name.
      variationName: "Classic Shirt",
      sku: "shirt1",
      type: "single",
      price: "1500.0000",
      managesStock: true,
      stockByLocation: new Map([
        [CBD, 100],
        [WESTLANDS, 40],
      ]),
    });
    const small = bySku.get("jacket-denim-S");
    assert.equal(small?.productName, "Denim Jacket");
    assert.equal(small?.variationName, "Small");
    assert.equal(small?.type, "variable");
    assert.deepEqual(
      small?.stockByLocation,
      new Map([
        [CBD, 8],
        [WESTLANDS, 2],
      ]),
    );
    // Never stocked at Westlands: no stock row there at all.
    assert.deepEqual(bySku.get("sun-01")?.stockByLocation, new Map([[CBD, 15]]));
    assert.equal(bySku.get("mug-ceramic")?.stockByLocation.get(WESTLANDS), 7);
    assert.equal(bySku.get("note-a5")?.stockByLocation.get(WESTLANDS), -2);
  });

  it("reads one location's stock in one timed request; absent rows are left out (0)", async (t) => {
    const { pos, wire, variation } = await connect(t);
    const before = new Date();
    const reading = await pos.readStock(WESTLANDS);
    const after = new Date();

    assert.deepEqual(
      wire.calls.map((c) => c.path),
      [`/connector/api/variation?location_id=${WESTLANDS}&per_page=-1`],
    );
    assert.equal(reading.locationId, WESTLANDS);
    assert.ok(before <= reading.startedAt && reading.startedAt <= reading.finishedAt && reading.finishedAt <= after);
    // 29 variations, three never stocked at Westlands (Sunglasses, Gift Card Holder, Large Denim Jacket).
    assert.equal(reading.quantities.size, 26);
    assert.equal(reading.quantities.get(variation("shirt1").variationId), 40);
    assert.equal(reading.quantities.get(variation("shoe-run-M").variationId), 6);
    assert.equal(reading.quantities.has(variation("sun-01").variationId), false);
    assert.equal(reading.quantities.has(variation("gift-holder").variationId), false);
    assert.equal(reading.quantities.has(variation("jacket-denim-L").variationId), false);
  });

  it("finds the walk-in customer once and remembers it", async (t) => {
    const { pos, wire, demo } = await connect(t);
    assert.equal(await pos.defaultContactId(), demo.walkInCustomerId);
    assert.equal(await pos.defaultContactId(), demo.walkInCustomerId);
    assert.deepEqual(
      wire.calls.map((c) => c.path),
      ["/connector/api/contactapi?type=customer&per_page=-1"],
    );
  });
});

describe("createProkipPos writes", () => {
  it("posts a final sell, which lowers Prokip's stock and answers with the line ids", async (t) => {
    const { pos, wire, emulator, variation, stock } = await connect(t);
    const shirt = variation("shirt1");
    const shoe = variation("shoe-run-S");
    const result = await pos.createSell(
      draft([
        { ...shirt, quantity: 3, unitPrice: "1400.0000" },
        { ...shoe, quantity: 1 },
      ]),
    );

    assert.ok(result.ok);
    assert.equal(result.value.invoiceNo, "SHOP-1001");
    assert.deepEqual(
      result.value.lines.map((l) => [l.variationId, l.quantity]),
      [
        [shirt.variationId, 3],
        [shoe.variationId, 1],
      ],
    );
    assert.equal(stock("shirt1", CBD), 97);
    assert.equal(stock("shoe-run-S", CBD), 9);

    const [recorded] = emulator.control.listSells();
    assert.equal(recorded?.id, result.value.sellId);
    assert.deepEqual(
      result.value.lines.map((l) => l.sellLineId),
      recorded?.lines.map((l) => l.id),
    );

    const call = wire.calls.find((c) => c.method === "POST");
    assert.equal(call?.path, "/connector/api/sell");
    assert.equal(call?.headers.get("content-type"), "application/json");
    assert.deepEqual(JSON.parse(call?.body ?? "null"), {
      sells: [
        {
          location_id: CBD,
          contact_id: 320001,
          transaction_date: "2026-03-04 05:06:07",
          invoice_no: "SHOP-1001",
          status: "final",
          sale_note: "Shopify order #1001",
          products: [
            { product_id: shirt.productId, variation_id: shirt.variationId, quantity: 3, unit_price: "1400.0000" },
            { product_id: shoe.productId, variation_id: shoe.variationId, quantity: 1 },
          ],
        },
      ],
    });
  });

  it("returns Prokip's message when it refuses a sell (unknown variation)", async (t) => {
    const { pos, emulator, variation } = await connect(t);
    const result = await pos.createSell(
      draft([{ productId: variation("shirt1").productId, variationId: 999_999, quantity: 1 }]),
    );
    assert.deepEqual(result, {
      ok: false,
      code: "rejected",
      message: "No query results for model [App\\Variation] 999999",
    });
    assert.equal(emulator.control.listSells().length, 0);
  });

  it("returns Prokip's message when the business forbids overselling", async (t) => {
    const { pos, emulator, demo, variation, stock } = await connect(t);
    emulator.control.updateBusiness({ businessId: demo.businessId, allowOverselling: false });
    const result = await pos.createSell(draft([{ ...variation("lamp-desk"), quantity: 15 }]));
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.code === "rejected");
    assert.match(
      result.message,
      /^ERROR: NOT ALLOWED: Mismatch between sold and purchase quantity\. Product: Desk Lamp SKU: lamp-desk Quantity: 3/,
    );
    assert.equal(stock("lamp-desk", CBD), 12);
  });

  it("sets cumulative return quantities: return 1, then a total of 2, gives 2 back", async (t) => {
    const { pos, wire, variation, stock } = await connect(t);
    const sold = await pos.createSell(draft([{ ...variation("bottle-750"), quantity: 3 }]));
    assert.ok(sold.ok);
    const line = sold.value.lines[0];
    assert.ok(line);
    assert.equal(stock("bottle-750", CBD), 117);

    const first = await pos.returnSell({
      sellId: sold.value.sellId,
      transactionDate: new Date("2026-03-05T10:00:00Z"),
      lines: [{ sellLineId: line.sellLineId, quantity: 1, unitPrice: "650.0000" }],
    });
    assert.ok(first.ok);
    assert.equal(stock("bottle-750", CBD), 118);

    const second = await pos.returnSell({
      sellId: sold.value.sellId,
      transactionDate: new Date("2026-03-05T11:00:00Z"),
      lines: [{ sellLineId: line.sellLineId, quantity: 2, unitPrice: "650.0000" }],
    });
    assert.ok(second.ok);
    // One return per sell: posting again updated it.
    assert.equal(second.value.returnId, first.value.returnId);
    assert.equal(stock("bottle-750", CBD), 119);

    const call = wire.calls.filter((c) => c.path === "/connector/api/sell-return").at(-1);
    assert.deepEqual(JSON.parse(call?.body ?? "null"), {
      transaction_id: sold.value.sellId,
      transaction_date: "2026-03-05 11:00:00",
      products: [{ sell_line_id: line.sellLineId, quantity: 2, unit_price_inc_tax: "650.0000" }],
    });
  });

  it("refuses a return of more than was sold, and a return of an unknown sell", async (t) => {
    const { pos, variation } = await connect(t);
    const sold = await pos.createSell(draft([{ ...variation("bottle-750"), quantity: 1 }]));
    assert.ok(sold.ok);
    const sellLineId = sold.value.lines[0]?.sellLineId ?? 0;
    const tooMany = await pos.returnSell({
      sellId: sold.value.sellId,
      transactionDate: new Date(),
      lines: [{ sellLineId, quantity: 2, unitPrice: "650.0000" }],
    });
    assert.deepEqual(tooMany.ok ? null : tooMany.code, "rejected");
    const unknown = await pos.returnSell({
      sellId: 1,
      transactionDate: new Date(),
      lines: [{ sellLineId, quantity: 1, unitPrice: "650.0000" }],
    });
    assert.deepEqual(unknown, {
      ok: false,
      code: "not_found",
      message: "No query results for model [App\\Transaction] 1",
    });
  });

  it("deletes a sell, which restores the stock; a sell with a return cannot be deleted", async (t) => {
    const { pos, wire, variation, stock } = await connect(t);
    const first = await pos.createSell(draft([{ ...variation("cap-base"), quantity: 5 }], "SHOP-1"));
    const second = await pos.createSell(draft([{ ...variation("cap-base"), quantity: 2 }], "SHOP-2"));
    assert.ok(first.ok && second.ok);
    assert.equal(stock("cap-base", CBD), 73);

    assert.deepEqual(await pos.deleteSell(first.value.sellId), { ok: true, value: null });
    assert.equal(stock("cap-base", CBD), 78);
    assert.equal(wire.calls.at(-1)?.method, "DELETE");
    assert.equal(wire.calls.at(-1)?.path, `/connector/api/sell/${first.value.sellId}`);

    const line = second.value.lines[0];
    assert.ok(line);
    assert.ok(
      (
        await pos.returnSell({
          sellId: second.value.sellId,
          transactionDate: new Date(),
          lines: [{ sellLineId: line.sellLineId, quantity: 1, unitPrice: "700.0000" }],
        })
      ).ok,
    );
    assert.deepEqual(await pos.deleteSell(second.value.sellId), {
      ok: false,
      code: "rejected",
      message: "Return exist for the Transaction, edit the return instead.",
    });
    assert.equal(stock("cap-base", CBD), 79);
  });

  it("finds a posted sell again by location and date, with its lines", async (t) => {
    const { pos, wire, variation } = await connect(t);
    const posted = await pos.createSell(draft([{ ...variation("mug-ceramic"), quantity: 2 }], "SHOP-LOST-1"));
    assert.ok(posted.ok);
    await pos.createSell({
      ...draft([{ ...variation("mug-ceramic"), quantity: 1 }], "SHOP-OTHER-DAY"),
      transactionDate: new Date("2026-03-09T12:00:00Z"),
    });

    const found = await pos.findSells({
      locationId: CBD,
      from: new Date("2026-03-04T00:00:00Z"),
      to: new Date("2026-03-04T23:59:59Z"),
    });
    assert.equal(
      wire.calls.at(-1)?.path,
      `/connector/api/sell?location_id=${CBD}&start_date=2026-03-04&end_date=2026-03-04&per_page=-1`,
    );
    assert.deepEqual(found, [posted.value]);
    assert.equal(found.find((s) => s.invoiceNo === "SHOP-LOST-1")?.lines[0]?.quantity, 2);

    assert.deepEqual(
      await pos.findSells({
        locationId: WESTLANDS,
        from: new Date("2026-03-01T00:00:00Z"),
        to: new Date("2026-03-31T00:00:00Z"),
      }),
      [],
    );
  });
});

describe("logging", () => {
  it("never writes tokens, the client secret or the password", async (t) => {
    let clock = Date.now();
    const started = await prokip.startProkipEmulator({ port: 0, accessTokenTtlSeconds: 1, now: () => clock });
    t.after(() => started.close());
    const demo = started.emulator.control.seedDemo();
    const lines: string[] = [];
    const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
    const credentials = { baseUrl: started.url, clientId: demo.clientId, clientSecret: demo.clientSecret };
    let tokens = await signInToProkip({ ...credentials, username: demo.username, password: demo.password, log });
    const first = tokens;
    const pos = createProkipPos({
      ...credentials,
      tokens: { load: async () => tokens, save: async (fresh) => void (tokens = fresh) },
      log,
      retry: fastRetry,
    });
    await pos.listLocations();
    clock += 5_000; // the access token expires: the next request renews it
    await pos.readStock(CBD);
    assert.notEqual(tokens.accessToken, first.accessToken);

    const output = lines.join("");
    assert.match(output, /"path":"\/connector\/api\/business-location","status":200/);
    assert.match(output, /"status":401/);
    assert.match(output, /prokip tokens renewed/);
    for (const secret of [
      first.accessToken,
      first.refreshToken,
      tokens.accessToken,
      tokens.refreshToken,
      demo.clientSecret,
      demo.password,
      started.url,
    ]) {
      assert.equal(output.includes(secret), false, `the log contains ${secret.slice(0, 12)}...`);
    }
  });
});
