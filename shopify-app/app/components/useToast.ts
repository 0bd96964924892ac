/**
 * Toasts through App Bridge after an action: success says what was done, failure says what
 * core said. Fired once per answer, in an effect (App Bridge exists only in the browser).
 */
import { useEffect, useRef } from "react";
import { useAppBridge } from "@shopify/app-bridge-react";
import { isFailure, type Failure } from "./failures.ts";

/** What the screens' actions answer with. */
export type ActionData = { ok: true; message: string } | Failure;

export function useActionToast(data: unknown, state: "idle" | "loading" | "submitting") {
  const shopify = useAppBridge();
  const shown = useRef<unknown>(null);
  useEffect(() => {
    // As soon as the answer is in ("loading" is the revalidation after it), not only once idle:
    // an action can move the store elsewhere (Disconnect sends home to Connect Prokip), and the
    // screen is gone before its fetcher is idle again.
    if (state === "submitting" || !data || shown.current === data) return;
    shown.current = data;
    if (isFailure(data)) shopify.toast.show(data.error.message, { isError: true });
    else if (typeof data === "object" && "message" in data && typeof data.message === "string")
      shopify.toast.show(data.message);
  }, [data, state, shopify]);
}
