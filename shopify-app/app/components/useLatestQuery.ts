/**
 * The address's query as it is about to be: the one a navigation under way is going to (a tab
 * just chosen), else the current one. Read when a timer fires, so a change made after the timer
 * was set, or still loading, is not undone. The ref is brought up to date after each render
 * (refs are not written during render).
 */
import { useEffect, useRef } from "react";
import { useLocation, useNavigation } from "@remix-run/react";

export function useLatestQuery(): { readonly current: string } {
  const location = useLocation();
  const navigation = useNavigation();
  const query =
    navigation.location && navigation.location.pathname === location.pathname
      ? navigation.location.search
      : location.search;
  const latest = useRef(query);
  useEffect(() => {
    latest.current = query;
  }, [query]);
  return latest;
}
