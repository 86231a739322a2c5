// Server-sent events from /api/v1/videos/{id}/events read with fetch, so the Bearer token
// goes in a header (EventSource cannot send one). Reconnects with Last-Event-ID.
import * as api from "./api.js";
import * as session from "./session.js";

const RETRY_MS = 2_000;

function parseBlock(block) {
  const event = { type: "message", data: [], id: null };
  for (const line of block.split(/\r?\n/)) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (name === "event") event.type = value;
    else if (name === "data") event.data.push(value);
    else if (name === "id") event.id = value;
  }
  return event.data.length ? { ...event, data: event.data.join("\n") } : null;
}

/**
 * Follow a video's events: `onEvent(type, payload)` for each `job` / `video` event.
 * Returns a function that stops following.
 */
export function followVideo(videoId, onEvent, onState = () => {}) {
  const controller = new AbortController();
  let lastId = null;
  let stopped = false;

  async function connect() {
    const headers = { ...api.authHeaders(), Accept: "text/event-stream" };
    if (lastId) headers["Last-Event-ID"] = lastId;
    const resp = await fetch(`/api/v1/videos/${videoId}/events`, { headers, signal: controller.signal });
    if (resp.status === 401) {
      await session.refresh();
      return;
    }
    if (!resp.ok) throw await api.errorFrom(resp.status, await resp.text());
    onState("live");
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const blocks = buffer.split(/\r?\n\r?\n/);
      buffer = blocks.pop();
      for (const block of blocks) {
        const event = parseBlock(block);
        if (!event) continue;
        if (event.id) lastId = event.id;
        onEvent(event.type, JSON.parse(event.data));
      }
    }
  }

  (async () => {
    while (!stopped) {
      try {
        await connect();
      } catch (err) {
        if (stopped) return;
        if (err instanceof api.ApiError && err.status === 404) {
          onState("unavailable", err);
          return;
        }
        onState("retrying", err);
      }
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  })();

  return () => {
    stopped = true;
    controller.abort();
  };
}
