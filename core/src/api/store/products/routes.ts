/** Products: GET /products, POST /products/:listingId/link, /unlink, /exclude, /include. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { excludeProduct, includeProduct, linkProduct, listProducts, unlinkProduct } from "../../../merchant/index.ts";
import type { MerchantDeps, ProductRow, StoreRef } from "../../../merchant/types.ts";
import { siteOf } from "../auth.ts";
import type { StoreRouteOptions } from "../index.ts";
import { emptyBody, errorResponses } from "../shared-schema.ts";
import {
  linkBodySchema,
  listingParamsSchema,
  productPageSchema,
  productQuerySchema,
  productRowSchema,
} from "./schema.ts";

const ACTIONS: {
  path: string;
  summary: string;
  run: (deps: MerchantDeps, store: StoreRef, listingId: string) => Promise<ProductRow>;
}[] = [
  { path: "/products/:listingId/unlink", summary: "Unlink the product from Prokip", run: unlinkProduct },
  { path: "/products/:listingId/exclude", summary: "Leave the product out of sync", run: excludeProduct },
  { path: "/products/:listingId/include", summary: "Take an excluded product back into sync", run: includeProduct },
];

export const productRoutes: FastifyPluginAsyncZod<StoreRouteOptions> = async (app, { merchant }) => {
  const tags = ["Products"];
  app.get(
    "/products",
    {
      schema: {
        tags,
        summary: "The store's products, paged, filtered by status or a search of SKU and title",
        querystring: productQuerySchema,
        response: { 200: productPageSchema, ...errorResponses },
      },
    },
    async (request) => listProducts(merchant(), siteOf(request).store, request.query),
  );

  app.post(
    "/products/:listingId/link",
    {
      schema: {
        tags,
        summary: "Link the product to a Prokip product, by its SKU in Prokip",
        params: listingParamsSchema,
        body: linkBodySchema,
        response: { 200: productRowSchema, ...errorResponses },
      },
    },
    async (request) =>
      linkProduct(merchant(), siteOf(request).store, {
        listingId: request.params.listingId,
        prokipSku: request.body.prokipSku,
      }),
  );

  for (const action of ACTIONS) {
    app.post(
      action.path,
      {
        schema: {
          tags,
          summary: action.summary,
          params: listingParamsSchema,
          body: emptyBody,
          response: { 200: productRowSchema, ...errorResponses },
        },
      },
      async (request) => action.run(merchant(), siteOf(request).store, request.params.listingId),
    );
  }
};
