/** Connect Prokip: the stage a site's screens open on, the Prokip sign-in, the location step. */
import { z } from "zod";
import type { SignedIn, StoreStage } from "../../../merchant/types.ts";
import { syncRunSchema } from "../shared-schema.ts";

const locationChoiceSchema = z.object({
  prokipLocationId: z.number().int(),
  name: z.string(),
  usedBy: z.array(z.string()),
});

export const stageSchema = z
  .discriminatedUnion("stage", [
    z.object({ stage: z.literal("connect_prokip"), sampleDataAvailable: z.boolean() }),
    z.object({
      stage: z.literal("choose_location"),
      businessName: z.string(),
      locations: z.array(locationChoiceSchema),
    }),
    z.object({
      stage: z.literal("set_up_products"),
      connectionId: z.string(),
      activeRun: syncRunSchema.nullable(),
      lastRun: syncRunSchema.nullable(),
    }),
    z.object({ stage: z.literal("ready"), connectionId: z.string() }),
  ])
  .meta({ id: "StoreStage" });

export const signInBodySchema = z
  .union([
    z.strictObject({ username: z.string().trim().min(1).max(255), password: z.string().min(1).max(1024) }),
    z.strictObject({ sampleData: z.literal(true) }),
  ])
  .meta({ id: "SignInRequest", description: "A Prokip username and password, or the sandbox's sample data" });

export const signedInSchema = z
  .object({ businessName: z.string(), locations: z.array(locationChoiceSchema) })
  .meta({ id: "SignedIn" });

/**
 * The location step. The WooCommerce REST key the backend syncs with comes with it: the plugin
 * creates it in its own site (pairing is to hand it over in a later issue).
 */
export const chooseLocationBodySchema = z
  .strictObject({
    prokipLocationId: z.number().int().positive(),
    consumerKey: z.string().regex(/^ck_[A-Za-z0-9]{1,128}$/u, "a WooCommerce consumer key (ck_...)"),
    consumerSecret: z.string().regex(/^cs_[A-Za-z0-9]{1,128}$/u, "a WooCommerce consumer secret (cs_...)"),
  })
  .meta({ id: "ChooseLocationRequest" });

export const connectedSchema = z.object({ connectionId: z.string() }).meta({ id: "Connected" });

type Fits<Schema extends z.ZodType, Value extends z.output<Schema>> = Value;
export type StageFits = Fits<typeof stageSchema, StoreStage>;
export type SignedInFits = Fits<typeof signedInSchema, SignedIn>;
