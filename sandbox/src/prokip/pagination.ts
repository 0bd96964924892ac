/**
 * Laravel's LengthAwarePaginator as an API Resource collection renders it:
 *
 *   {data, links:{first,last,prev,next}, meta:{current_page,from,last_page,path,per_page,to,total}}
 *
 * and the Connector's convention that `per_page=-1` means "everything", rendered as a plain
 * `{data:[...]}` without links or meta.
 *
 * Two Laravel details worth knowing:
 * - `meta.per_page` is whatever `paginate()` received. The Connector passes the raw query string
 *   value, so `?per_page=5` yields `"per_page": "5"` (a string), while the default is the
 *   integer 10 (its documented examples show both).
 * - Most Connector lists call `->appends(request()->query())`, so the links carry the other
 *   query parameters; the stock report does not, so its links only carry `page`.
 */

export interface PageEnvelope<T> {
  data: T[];
  links: { first: string; last: string; prev: string | null; next: string | null };
  meta: {
    current_page: number;
    from: number | null;
    last_page: number;
    path: string;
    per_page: number | string;
    to: number | null;
    total: number;
  };
}

export interface PerPage {
  /** `per_page=-1`: no pagination at all. */
  all: boolean;
  size: number;
  /** What meta.per_page shows. */
  shown: number | string;
}

/** Reads `per_page` the way the Connector does: empty means the default, -1 means all. */
export function readPerPage(raw: string | undefined, fallback = 10): PerPage {
  if (raw === undefined || raw === "" || raw === "0") return { all: false, size: fallback, shown: fallback };
  const n = Number.parseInt(raw, 10);
  if (n === -1) return { all: true, size: 0, shown: raw };
  // Laravel casts the value to int; anything unusable would page by its default.
  if (!Number.isFinite(n) || n < 1) return { all: false, size: fallback, shown: fallback };
  return { all: false, size: n, shown: raw };
}

/** Laravel's resolveCurrentPage: a positive integer, else 1. */
export function readPage(raw: string | undefined): number {
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

export interface PaginateOptions {
  page: number;
  perPage: PerPage;
  /** Absolute URL of the list, without query string. */
  path: string;
  /** Query parameters to carry into the links (`appends`), or none. */
  appends?: Record<string, string>;
}

export function paginate<T>(items: T[], options: PaginateOptions): PageEnvelope<T> {
  const { page, perPage, path } = options;
  const size = perPage.size;
  const total = items.length;
  const lastPage = Math.max(1, Math.ceil(total / size));
  const start = (page - 1) * size;
  const data = items.slice(start, start + size);
  const url = (p: number): string => {
    // Laravel: array_merge($this->query, ['page' => $p]): existing keys keep their place, page
    // replaces an existing `page` or comes last.
    const params = new URLSearchParams({ ...(options.appends ?? {}), page: String(p) });
    return `${path}?${params.toString()}`;
  };
  return {
    data,
    links: {
      first: url(1),
      last: url(lastPage),
      prev: page > 1 ? url(page - 1) : null,
      next: page < lastPage ? url(page + 1) : null,
    },
    meta: {
      current_page: page,
      from: data.length > 0 ? start + 1 : null,
      last_page: lastPage,
      path,
      per_page: perPage.shown,
      to: data.length > 0 ? start + data.length : null,
      total,
    },
  };
}

/** Either the paginated envelope or, for `per_page=-1`, just `{data}`. */
export function listResponse<T>(items: T[], options: PaginateOptions): PageEnvelope<T> | { data: T[] } {
  return options.perPage.all ? { data: items } : paginate(items, options);
}
