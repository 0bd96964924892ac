/**
 * The address's query as it is about to be: the one a navigation under way is going to (a tab
 * just chosen), else the current one. Read when a timer fires, so a change made after the timer
 * was set, or still loading, is not undone. The ref is brought up to date after each render
 * (refs are not written during render), in a layout effect: it runs as the render commits, so no
 * timer can fire between a navigation's render and the ref following it (a passive effect may run
 * later than a timer on a busy machine).
 */
import { useEffect, useLayoutEffect, useRef } from "react";
import { useLocation, useNavigation } from "@remix-run/react";

// React 18 warns about useLayoutEffect during server rendering, where no timer fires anyway.
const useCommitEffect = typeof document === "undefined" ? useEffect : useLayoutEffect;

export function useLatestQuery(): { readonly current: string } {
  const location = useLocation();
  const navigation = useNavigation();
  const query =
    navigation.location && navigation.location.pathname === location.pathname
      ? navigation.location.search
      : location.search;
  const latest = useRef(query);
  useCommitEffect(() => {
    latest.current = query;
  }, [query]);
  return latest;
}
