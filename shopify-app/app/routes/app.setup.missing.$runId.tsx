/**
 * The products a pull setup found in the store and not in Prokip, as the product import file
 * Prokip (UltimatePOS) takes: `GET /app/setup/missing/<runId>` answers text/csv as a download.
 * (A resource route: no screen of its own; the setup summary fetches it with the session token.)
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { missingInProkipFile } from "@prokip-sync/core";
import { answer } from "../errors.server.ts";
import { merchantDeps, storeOf } from "../merchant.server.ts";
import { authenticate } from "../shopify.server.ts";

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  const file = await answer(() => missingInProkipFile(deps, store, params.runId ?? ""));
  if (file instanceof Response) return file;
  return new Response(file.csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${file.filename.replace(/["\\\r\n]/gu, "_")}"`,
      "Cache-Control": "no-store",
    },
  });
};
