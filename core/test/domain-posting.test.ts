/** The Prokip posting planner (domain/posting.ts): pure, no database, no Prokip. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  invoiceBaseFor,
  nextInvoiceNo,
  planPosting,
  postingRecordSchema,
  prokipHolds,
  sameSellLines,
  sellLinesFor,
  unlinkedProduct,
  type PostingRecord,
  type PostingStep,
  type PostingVariant,
  type SellRecord,
} from "../src/domain/index.ts";

/** A sell Prokip holds: `lines` as [variantId, quantity, returned]; sell line ids are sellId*10 + n. */
function sell(
  sellId: number,
  lines: [string, number, number][],
  extra: Partial<Pick<SellRecord, "deleted" | "returnPosted">> = {},
): SellRecord {
  return {
    sellId,
    invoiceNo: `SHOP-1001${sellId === 1 ? "" : `-${sellId}`}`,
    postedAt: "2026-12-01T10:00:00.000Z",
    deleted: extra.deleted ?? false,
    returnPosted: extra.returnPosted ?? lines.some(([, , returned]) => returned > 0),
    lines: lines.map(([variantId, quantity, returned], n) => ({
      sellLineId: sellId * 10 + n,
      variantId,
      variationId: 500 + n,
      quantity,
      returned,
      unitPrice: null,
    })),
  };
}

const record = (...sells: SellRecord[]): PostingRecord => postingRecordSchema.parse({ sells });

/** Steps in a comparable shape: sells as their lines, returns as cumulative returned per sell line, deletes by sell. */
function shape(steps: PostingStep[]) {
  return steps.map((step) => {
    if (step.kind === "sell") return { sell: step.lines.map((l) => [l.variantId, l.quantity]) };
    if (step.kind === "return") return { return: step.sell.sellId, returned: [...step.returned] };
    return { delete: step.sell.sellId };
  });
}

describe("planPosting", () => {
  const cases: {
    name: string;
    held: [string, number][];
    record: PostingRecord;
    cancelled?: boolean;
    steps: ReturnType<typeof shape>;
  }[] = [
    {
      name: "a new order is one sell of what it holds",
      held: [
        ["a", 2],
        ["b", 1],
      ],
      record: record(),
      steps: [
        {
          sell: [
            ["a", 2],
            ["b", 1],
          ],
        },
      ],
    },
    {
      name: "nothing to send when Prokip holds what the order holds",
      held: [["a", 2]],
      record: record(sell(1, [["a", 2, 0]])),
      steps: [],
    },
    {
      name: "a restocked refund is a return with the cumulative quantity per sell line",
      held: [["a", 1]],
      record: record(sell(1, [["a", 3, 1]])),
      steps: [{ return: 1, returned: [[10, 2]] }],
    },
    {
      name: "an edit up is an additional sell of the difference only",
      held: [
        ["a", 3],
        ["b", 1],
      ],
      record: record(sell(1, [["a", 2, 0]])),
      steps: [
        {
          sell: [
            ["a", 1],
            ["b", 1],
          ],
        },
      ],
    },
    {
      name: "returns come before a new sell, and take from the latest sell first",
      held: [
        ["a", 2],
        ["b", 1],
      ],
      record: record(sell(1, [["a", 2, 0]]), sell(2, [["a", 2, 0]])),
      steps: [{ return: 2, returned: [[20, 2]] }, { sell: [["b", 1]] }],
    },
    {
      name: "a return larger than the latest sell spills over to the one before",
      held: [["a", 1]],
      record: record(sell(1, [["a", 2, 0]]), sell(2, [["a", 2, 0]])),
      steps: [
        { return: 2, returned: [[20, 2]] },
        { return: 1, returned: [[10, 1]] },
      ],
    },
    {
      name: "a cancelled order without returns deletes its sells",
      held: [["a", 0]],
      record: record(sell(1, [["a", 2, 0]]), sell(2, [["a", 1, 0]])),
      cancelled: true,
      steps: [{ delete: 1 }, { delete: 2 }],
    },
    {
      name: "a cancelled order returns in full a sell that has a return (Prokip refuses to delete it)",
      held: [["a", 0]],
      record: record(sell(1, [["a", 3, 1]])),
      cancelled: true,
      steps: [{ return: 1, returned: [[10, 3]] }],
    },
    {
      name: "a cancelled order leaves alone sells already deleted or fully returned",
      held: [["a", 0]],
      record: record(sell(1, [["a", 2, 0]], { deleted: true }), sell(2, [["a", 1, 1]])),
      cancelled: true,
      steps: [],
    },
    {
      name: "a negative holding counts as nothing held",
      held: [["a", -1]],
      record: record(sell(1, [["a", 1, 0]])),
      steps: [{ return: 1, returned: [[10, 1]] }],
    },
  ];
  for (const c of cases)
    it(c.name, () => assert.deepEqual(shape(planPosting(new Map(c.held), c.record, c.cancelled ?? false)), c.steps));
});

describe("prokipHolds", () => {
  it("is sold minus returned on live sells, per variant", () => {
    const holds = prokipHolds(
      record(
        sell(1, [
          ["a", 3, 1],
          ["b", 2, 0],
        ]),
        sell(2, [["a", 1, 0]]),
        sell(3, [["b", 5, 0]], { deleted: true }),
      ),
    );
    assert.deepEqual(
      [...holds],
      [
        ["a", 3],
        ["b", 2],
      ],
    );
  });
});

describe("invoice numbers", () => {
  const cases: ["shopify" | "woocommerce", string, number, string][] = [
    ["shopify", "#1001", 0, "SHOP-1001"],
    ["shopify", "#1001", 1, "SHOP-1001-2"],
    ["woocommerce", "57", 2, "WOO-57-3"],
    ["shopify", "#A 12 ", 0, "SHOP-A-12"],
  ];
  for (const [platform, label, made, expected] of cases)
    it(`${platform} ${JSON.stringify(label)} after ${made} sells -> ${expected}`, () => {
      const record_ = record(...Array.from({ length: made }, (_, i) => sell(i + 1, [["a", 1, 0]])));
      assert.equal(nextInvoiceNo(record_, invoiceBaseFor(platform, label)), expected);
    });
});

const variants = new Map<string, PostingVariant>([
  [
    "a",
    {
      variantId: "a",
      title: "Classic Shirt",
      sku: "SHIRT1",
      normalizedSku: "shirt1",
      prokipProductId: 1,
      prokipVariationId: 11,
    },
  ],
  ["b", { variantId: "b", title: "Mug", sku: "MUG", normalizedSku: "mug", prokipProductId: 2, prokipVariationId: 22 }],
  [
    "c",
    { variantId: "c", title: "Cap", sku: "CAP", normalizedSku: "cap", prokipProductId: null, prokipVariationId: null },
  ],
]);

describe("unlinkedProduct", () => {
  it("names the first sell line whose product is not linked to Prokip", () => {
    const steps: PostingStep[] = [
      {
        kind: "sell",
        lines: [
          { variantId: "a", quantity: 1 },
          { variantId: "c", quantity: 1 },
        ],
      },
    ];
    assert.equal(
      unlinkedProduct(steps, variants, "#1001"),
      'Product "Cap" (SKU CAP) is not linked to a Prokip product: link it, then post order #1001 again',
    );
  });
  it("is null when every sold product is linked, whatever returns need", () => {
    assert.equal(unlinkedProduct([{ kind: "sell", lines: [{ variantId: "b", quantity: 2 }] }], variants, "#1"), null);
  });
});

describe("sellLinesFor", () => {
  it("follows the order's line order and takes the order line's price when it has one", () => {
    const lines = sellLinesFor(
      [
        { variantId: "a", quantity: 2 },
        { variantId: "b", quantity: 1 },
      ],
      variants,
      [{ sku: "mug", unitPrice: "9.50" }, { sku: " Shirt1 " }],
    );
    assert.deepEqual(lines, [
      { variantId: "b", productId: 2, variationId: 22, quantity: 1, unitPrice: "9.50" },
      { variantId: "a", productId: 1, variationId: 11, quantity: 2, unitPrice: null },
    ]);
  });
});

describe("sameSellLines", () => {
  const cases: [string, { variationId: number; quantity: number }[], boolean][] = [
    [
      "the same units per variation, split differently",
      [
        { variationId: 11, quantity: 1 },
        { variationId: 11, quantity: 1 },
        { variationId: 22, quantity: 1 },
      ],
      true,
    ],
    [
      "a different quantity",
      [
        { variationId: 11, quantity: 1 },
        { variationId: 22, quantity: 1 },
      ],
      false,
    ],
    ["a variation missing", [{ variationId: 11, quantity: 2 }], false],
  ];
  const sent = [
    { variationId: 11, quantity: 2 },
    { variationId: 22, quantity: 1 },
  ];
  for (const [name, found, expected] of cases)
    it(`${name} -> ${expected}`, () => assert.equal(sameSellLines(found, sent), expected));
});
