/** Pairing: a WordPress site announces itself (docs/woocommerce.md, "Pairing"). */
import { z } from "zod";

const httpUrl = z.url({ protocol: /^https?$/u }).max(255);

export const pairingBodySchema = z
  .strictObject({
    siteUrl: httpUrl.describe("The site's URL (WordPress's home URL), as the store API will know it"),
    callbackUrl: httpUrl.describe(
      "The plugin's pairing route on the same origin, under {siteUrl}/wp-json/prokip-sync/v1/",
    ),
    nonce: z
      .string()
      .regex(/^[A-Za-z0-9_-]{32,128}$/u)
      .describe("A random secret of the plugin's for this pairing: the key of the proof it answers the call back with"),
  })
  .meta({ id: "PairingRequest" });

export const pairedSchema = z
  .object({ siteId: z.string().describe("The site's id; its secret went to the plugin's callback only") })
  .meta({ id: "Paired" });
