/**
 * The application URL. Shopify opens it with `?shop=...&host=...` (install, opening the app
 * from admin): on to the embedded app with the same parameters. Without a shop (someone typing
 * the address): the login form.
 */
import { redirect, type LoaderFunctionArgs } from "@remix-run/node";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const url = new URL(request.url);
  if (url.searchParams.get("shop")) throw redirect(`/app?${url.searchParams.toString()}`);
  throw redirect("/auth/login");
};
