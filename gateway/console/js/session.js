// The login session: tokens live in sessionStorage (this tab only, gone when it closes),
// never in a URL. The access token is refreshed shortly before it expires.
const KEY = "media-resource.session";
const REFRESH_MARGIN_MS = 60_000;

let timer = null;
let refreshing = null;
const listeners = new Set();

export function current() {
  const raw = sessionStorage.getItem(KEY);
  return raw ? JSON.parse(raw) : null;
}

export function onChange(listener) {
  listeners.add(listener);
}

function announce() {
  for (const listener of listeners) listener(current());
}

export function store(tokens) {
  const session = {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  schedule(session);
  announce();
}

export function clear() {
  clearTimeout(timer);
  sessionStorage.removeItem(KEY);
  announce();
}

function schedule(session) {
  clearTimeout(timer);
  const lifetime = session.expiresAt - Date.now();
  // Half-way for short-lived tokens, a minute early otherwise.
  const wait = Math.max(1_000, Math.min(lifetime / 2, lifetime - REFRESH_MARGIN_MS));
  timer = setTimeout(() => refresh().catch(() => clear()), wait);
}

/** Swap the refresh token for a new pair; concurrent callers share one request. */
export function refresh() {
  const session = current();
  if (!session) return Promise.reject(new Error("not logged in"));
  refreshing ??= fetch("/api/v1/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: session.refreshToken }),
  })
    .then(async (resp) => {
      if (!resp.ok) throw new Error(`refresh answered ${resp.status}`);
      store(await resp.json());
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** After a page reload: keep the timer going for the stored session. */
export function resume() {
  const session = current();
  if (!session) return;
  if (session.expiresAt - Date.now() < 5_000) refresh().catch(() => clear());
  else schedule(session);
}
