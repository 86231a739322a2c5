// The video library: posters, title, duration, status and the points the user earned.
import * as api from "../api.js";
import { h, errorBox, formatDuration } from "../dom.js";
import { pointsByVideo, posterImage, statusBadge } from "../media.js";

const PAGE = 24;

export function videoCard(video, earned, urls, extra = null) {
  return h(
    "li",
    { class: "video-card", dataset: { videoId: String(video.id) } },
    posterImage(video, urls),
    h(
      "div",
      { class: "meta" },
      h("h2", {}, video.deleted_at ? h("span", {}, video.title) : h("a", { href: `#/videos/${video.id}` }, video.title)),
      h(
        "dl",
        {},
        h("dt", {}, "Duration"),
        h("dd", { class: "duration" }, formatDuration(video.duration_ms)),
        h("dt", {}, "Status"),
        h("dd", {}, statusBadge(video.status)),
        h("dt", {}, "Points earned"),
        h("dd", { class: "points" }, earned === undefined ? "not watched yet" : String(earned)),
      ),
      extra,
    ),
  );
}

export async function showLibrary({ me, main, params }) {
  const offset = Number(params.get("offset") ?? 0);
  const urls = [];
  const error = errorBox();
  const list = h("ul", { class: "video-grid", "aria-label": "Videos" });
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  main.append(
    h("div", { class: "heading" }, h("h1", {}, "Library"), me.role === "admin" ? h("a", { class: "button", href: "#/upload" }, "Upload a video") : null),
    error,
    list,
    pager,
  );
  try {
    const [page, earned] = await Promise.all([api.get(`/api/v1/videos?limit=${PAGE}&offset=${offset}`), pointsByVideo()]);
    if (page.items.length === 0) list.replaceWith(h("p", { class: "empty" }, "No videos yet."));
    for (const video of page.items) list.append(videoCard(video, earned.get(video.id), urls));
    if (offset > 0) pager.append(h("a", { href: `#/library?offset=${Math.max(0, offset - PAGE)}` }, "← Newer"));
    if (offset + page.items.length < page.total) pager.append(h("a", { href: `#/library?offset=${offset + PAGE}` }, "Older →"));
    pager.append(h("span", {}, ` ${page.total} video${page.total === 1 ? "" : "s"}`));
  } catch (err) {
    error.show(api.describe(err));
  }
  return () => urls.forEach((url) => URL.revokeObjectURL(url));
}
