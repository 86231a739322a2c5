// Video helpers shared by the screens: posters fetched with the Bearer token (an <img>
// cannot send it) and shown as blob: URLs, the points a user earned per video, statuses.
import * as api from "./api.js";
import { h } from "./dom.js";

/** A blob: URL of the video's poster, or null while none exists (404). */
export async function posterUrl(videoId) {
  const resp = await fetch(`/api/v1/videos/${videoId}/thumbnail`, { headers: api.authHeaders() });
  if (!resp.ok) return null;
  return URL.createObjectURL(await resp.blob());
}

/** Points earned per video id, from the user's ledger (references are "video:<id>"). */
export async function pointsByVideo() {
  const earned = new Map();
  for (let offset = 0; offset < 1000; offset += 100) {
    const page = await api.get(`/api/v1/users/me/points?limit=100&offset=${offset}`);
    for (const item of page.items) {
      const match = /^video:(\d+)$/.exec(item.reference ?? "");
      if (match) earned.set(Number(match[1]), (earned.get(Number(match[1])) ?? 0) + item.amount);
    }
    if (offset + page.items.length >= page.total || page.items.length === 0) break;
  }
  return earned;
}

export function statusBadge(status) {
  // Videos from before the media pipeline carry no status: nothing to show.
  if (!status) return h("span", { class: "muted" }, "–");
  return h("span", { class: `badge status-${status}`, dataset: { status } }, status);
}

/** A poster <img> (or a placeholder until one exists) that fills itself in. */
export function posterImage(video, urls) {
  const box = h("div", { class: "poster", "aria-hidden": "true" }, h("span", { class: "placeholder" }, "▶"));
  posterUrl(video.id)
    .then((url) => {
      if (!url) return;
      urls.push(url);
      box.replaceChildren(h("img", { src: url, alt: "" }));
      box.classList.add("has-image");
    })
    .catch(() => {});
  return box;
}
