/**
 * Settings (/app/settings): a connected store's settings read and saved through the screen's
 * loader and action; values the form cannot read and values core refuses both answer 400 with
 * the fields named; saved values are on the connection row, in the activity, and a new buffer
 * asks for a drain. The store-edit policy is shown and saved only when the business keeps its
 * stock centrally.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { StoreSettings } from "@prokip-sync/core";
import { connectTestStore, database, jobRequests, json, load, post, refusals, stopAll } from "./support/screens.ts";

const settings = await import("../app/routes/app.settings.tsx");
const { prisma } = database;

let connectionId = "";
before(async () => {
  connectionId = await connectTestStore();
  jobRequests.length = 0;
});
after(stopAll);

const form = (
  values: Partial<
    Record<"buffer" | "reconcileIntervalMinutes" | "deductOn" | "lowStockThreshold" | "storeEditPolicy", string>
  >,
) => ({
  intent: "save",
  buffer: "0",
  reconcileIntervalMinutes: "15",
  deductOn: "created",
  lowStockThreshold: "",
  ...values,
});

async function shown(): Promise<StoreSettings> {
  const { data, response } = await load(settings.loader, "/app/settings");
  assert.equal(response, null);
  return (data as { settings: StoreSettings }).settings;
}

type Refusal = { error: { code: string; message: string; details: { path: string; message: string }[] } };

describe("Settings", () => {
  it("refuses requests without a session token and with a wrongly signed one, saving nothing", async () => {
    for (const [handler, method] of [
      [settings.loader, "GET"],
      [settings.action, "POST"],
    ] as const) {
      const { none, wrongFetch } = await refusals(handler, "/app/settings", method, form({ buffer: "9" }));
      assert.equal(none.response?.status, 302);
      assert.equal(none.response?.headers.get("location"), "/auth/login");
      assert.equal(wrongFetch.response?.status, 401);
    }
    assert.equal((await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } })).buffer, 0);
  });

  it("a new store's settings are the defaults; the store-edit policy is not offered outside central mode", async () => {
    assert.deepEqual(await shown(), {
      buffer: 0,
      reconcileIntervalMinutes: 15,
      deductOn: "created",
      lowStockThreshold: null,
      storeEditPolicy: "correct",
      centralMode: false,
    });
  });

  it("values the form cannot read are refused on their fields (400) before core is asked", async () => {
    const { response } = await post(
      settings.action,
      "/app/settings",
      form({ buffer: "lots", reconcileIntervalMinutes: "", deductOn: "shipped" }),
    );
    assert.equal(response?.status, 400);
    const body = await json<Refusal>(response);
    assert.equal(body.error.code, "invalid_input");
    assert.deepEqual(body.error.details.map((d) => d.path).sort(), ["buffer", "deductOn", "reconcileIntervalMinutes"]);
    assert.equal(await prisma.activityEvent.count({ where: { connectionId, type: "settings_changed" } }), 0);
  });

  it("values core does not take are refused with core's words for each field, and nothing is saved", async () => {
    const { response } = await post(
      settings.action,
      "/app/settings",
      form({ buffer: "-1", reconcileIntervalMinutes: "2000", lowStockThreshold: "2.5" }),
    );
    assert.equal(response?.status, 400);
    const body = await json<Refusal>(response);
    assert.equal(body.error.code, "invalid_input");
    assert.deepEqual(body.error.details.map((d) => d.path).sort(), [
      "buffer",
      "lowStockThreshold",
      "reconcileIntervalMinutes",
    ]);
    assert.equal(
      body.error.details.find((d) => d.path === "reconcileIntervalMinutes")!.message,
      "Enter a whole number of minutes from 1 to 1,440 (a day)",
    );
    const row = await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
    assert.equal(row.buffer, 0);
    assert.deepEqual(await shown(), {
      buffer: 0,
      reconcileIntervalMinutes: 15,
      deductOn: "created",
      lowStockThreshold: null,
      storeEditPolicy: "correct",
      centralMode: false,
    });
  });

  it("the store-edit policy cannot be changed outside central mode (400 on its field)", async () => {
    const { response } = await post(settings.action, "/app/settings", form({ storeEditPolicy: "accept" }));
    assert.equal(response?.status, 400);
    assert.deepEqual(
      (await json<Refusal>(response)).error.details.map((d) => d.path),
      ["storeEditPolicy"],
    );
  });

  it("saving: the values come back, are on the connection, in the activity, and a new buffer asks for a drain", async () => {
    const { data, response } = await post(
      settings.action,
      "/app/settings",
      form({ buffer: "2", reconcileIntervalMinutes: "30", deductOn: "paid", lowStockThreshold: "5" }),
    );
    assert.equal(response, null);
    const saved = {
      buffer: 2,
      reconcileIntervalMinutes: 30,
      deductOn: "paid",
      lowStockThreshold: 5,
      storeEditPolicy: "correct",
      centralMode: false,
    };
    assert.deepEqual(data, { ok: true, message: "Settings saved", settings: saved });
    assert.deepEqual(await shown(), saved);
    const row = await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
    assert.equal(row.buffer, 2);
    assert.deepEqual(row.settings, {
      deductOn: "paid",
      reconcileIntervalMinutes: 30,
      lowStockThreshold: 5,
      storeEditPolicy: "correct",
    });
    assert.equal(await prisma.activityEvent.count({ where: { connectionId, type: "settings_changed" } }), 1);
    assert.deepEqual(jobRequests.splice(0), [{ kind: "drain", connectionId }]);

    // An empty low-stock field turns alerts off.
    const cleared = await post(
      settings.action,
      "/app/settings",
      form({ buffer: "2", reconcileIntervalMinutes: "30", deductOn: "paid", lowStockThreshold: "" }),
    );
    assert.equal((cleared.data as { settings: StoreSettings }).settings.lowStockThreshold, null);
    assert.deepEqual(jobRequests.splice(0), []);
  });

  it("in central mode the store-edit policy is shown and saved", async () => {
    const { businessId } = await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
    await prisma.business.update({ where: { id: businessId }, data: { authorityMode: "central" } });
    assert.equal((await shown()).centralMode, true);
    const { data } = await post(
      settings.action,
      "/app/settings",
      form({ buffer: "2", reconcileIntervalMinutes: "30", deductOn: "paid", storeEditPolicy: "accept" }),
    );
    assert.equal((data as { settings: StoreSettings }).settings.storeEditPolicy, "accept");
    assert.equal((await shown()).storeEditPolicy, "accept");
  });
});
