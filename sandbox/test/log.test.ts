/**
 * The emulators' own logger: whatever line carries a WooCommerce-style URL, the values of its
 * `oauth_*` and `consumer_*` parameters are gone (the consumer key, the OAuth signature).
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { emulatorLogger, redactUrlSecrets } from "../src/shared/log.ts";

const KEY = "ck_3e22438052faba8647611b8ed197a7bf389c1784";
const SIGNATURE = "4SaiUKW6vzJp%2Fch%2Ff6bdxMbT64eDxoBoH8HQ7mApkG0%3D";
const URL = `/demo/wp-json/wc/v3/products?page=1&oauth_consumer_key=${KEY}&oauth_nonce=F21S&oauth_signature_method=HMAC-SHA256&oauth_signature=${SIGNATURE}&per_page=100`;

describe("the emulators' logger", () => {
  it("writes lines without the consumer key, the OAuth signature or a consumer secret", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    process.env["SANDBOX_LOG_LEVEL"] = "info";
    try {
      const log = emulatorLogger("woocommerce-emulator", destination);
      log.info({ req: { method: "GET", url: URL } }, "incoming request");
      log.warn(
        { err: new Error(`GET https://shop.example/wp-json?consumer_key=${KEY}&consumer_secret=cs_1 failed`) },
        "x",
      );
    } finally {
      delete process.env["SANDBOX_LOG_LEVEL"];
    }
    assert.equal(lines.length, 2);
    const text = lines.join("");
    assert.ok(!text.includes(KEY), text);
    assert.ok(!text.includes(SIGNATURE), text);
    assert.ok(!text.includes("cs_1"), text);
    assert.match(text, /oauth_consumer_key=\[redacted\]&oauth_nonce=\[redacted\]/u);
    assert.match(text, /page=1&/u, "other parameters stay");
    assert.match(text, /per_page=100/u);
  });

  it("redacts parameters percent-encoded inside another URL, and leaves JSON keys and look-alikes alone", () => {
    assert.equal(
      redactUrlSecrets("next=%2Fa%3Foauth_token%3Dzzz%26b%3D1"),
      "next=%2Fa%3Foauth_token%3D[redacted]%26b%3D1",
    );
    assert.equal(redactUrlSecrets('{"consumer_key":"ck_1"}'), '{"consumer_key":"ck_1"}');
    assert.equal(redactUrlSecrets("xoauth_token=1"), "xoauth_token=1");
  });
});
