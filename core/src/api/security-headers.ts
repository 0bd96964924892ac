/**
 * Headers every answer of this server carries, core's and the hosted app's alike (a root onSend
 * hook, so it also runs for routes a host registers later): `X-Content-Type-Options: nosniff`, a
 * `Referrer-Policy` that never sends a path or query (app URLs carry session tokens) to another
 * origin, and no framing by anyone unless the answer says otherwise. The Shopify library sets
 * `frame-ancestors` for the shop on embedded app documents, and the sandbox host widens that one;
 * an answer that already carries a `frame-ancestors` directive is left alone, any other gets
 * `frame-ancestors 'none'` (with `X-Frame-Options: DENY` for browsers without CSP 2).
 */
import type { FastifyInstance, FastifyReply } from "fastify";

export const REFERRER_POLICY = "strict-origin-when-cross-origin";
export const NO_FRAMING = "frame-ancestors 'none'";

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook("onSend", async (_request, reply, payload) => {
    addSecurityHeaders(reply);
    return payload;
  });
}

function addSecurityHeaders(reply: FastifyReply): void {
  if (!reply.hasHeader("x-content-type-options")) reply.header("x-content-type-options", "nosniff");
  if (!reply.hasHeader("referrer-policy")) reply.header("referrer-policy", REFERRER_POLICY);
  const policy = reply.getHeader("content-security-policy");
  const text = Array.isArray(policy) ? policy.join(", ") : policy === undefined ? "" : String(policy);
  if (/frame-ancestors/iu.test(text)) return;
  reply.header("content-security-policy", text ? `${text.replace(/[;\s]+$/u, "")}; ${NO_FRAMING}` : NO_FRAMING);
  if (!reply.hasHeader("x-frame-options")) reply.header("x-frame-options", "DENY");
}
