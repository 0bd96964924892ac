/**
 * Downloads a file the app serves. Inside Shopify admin a plain link would arrive without the
 * session token; App Bridge adds it to the app's own fetch calls, so the file is fetched and
 * handed to the browser as a download.
 */
import { useState } from "react";
import { Button } from "@shopify/polaris";

export function DownloadButton({ url, filename, children }: { url: string; filename: string; children: string }) {
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  async function download() {
    setBusy(true);
    setFailed(false);
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const disposition = response.headers.get("content-disposition") ?? "";
      const name = /filename="([^"]+)"/u.exec(disposition)?.[1] ?? filename;
      const href = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = href;
      link.download = name;
      link.click();
      URL.revokeObjectURL(href);
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Button onClick={download} loading={busy}>
      {failed ? "Download failed: try again" : children}
    </Button>
  );
}
