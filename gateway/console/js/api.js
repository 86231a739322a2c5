// The API client: JSON in and out, the Bearer token added, one refresh-and-retry on 401,
// and the contract's error body ({code, message, details, request_id}) as an ApiError.
import * as session from "./session.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? "HTTP_ERROR";
    this.details = body?.details ?? null;
    this.requestId = body?.request_id ?? null;
  }
}

export function authHeaders() {
  const s = session.current();
  return s ? { Authorization: `Bearer ${s.accessToken}` } : {};
}

export async function errorFrom(status, text) {
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = { message: `HTTP ${status}` };
  }
  return new ApiError(status, body);
}

/** Human text for an error: the API's own message, plus the fields a 422 names. */
export function describe(error) {
  if (!(error instanceof ApiError)) return error.message || String(error);
  if (error.code === "VALIDATION_ERROR" && Array.isArray(error.details)) {
    const fields = error.details
      .map((d) => `${(d.loc ?? []).filter((p) => p !== "body").join(".")}: ${d.msg}`)
      .join("; ");
    return fields ? `${error.message} (${fields})` : error.message;
  }
  return error.message;
}

export async function request(method, path, { json, auth = true, raw = false } = {}) {
  const send = () =>
    fetch(path, {
      method,
      headers: {
        ...(auth ? authHeaders() : {}),
        ...(json !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      body: json !== undefined ? JSON.stringify(json) : undefined,
    });
  let resp = await send();
  if (resp.status === 401 && auth && session.current()) {
    try {
      await session.refresh();
      resp = await send();
    } catch {
      session.clear();
    }
  }
  if (!resp.ok) throw await errorFrom(resp.status, await resp.text());
  if (raw) return resp;
  return resp.status === 204 ? null : resp.json();
}

export const get = (path, options) => request("GET", path, options);
export const post = (path, json, options) => request("POST", path, { ...options, json });
export const del = (path) => request("DELETE", path);
