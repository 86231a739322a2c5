// One video: the player (hls.js on the playback token's HLS URL, the original file via
// /stream until HLS exists), its live processing, and the admin's "move to trash".
import Hls from "../../vendor/hls.js/hls.min.mjs";
import * as api from "../api.js";
import { h, errorBox, formatBytes, formatDuration, formatTime } from "../dom.js";
import { flash } from "../flash.js";
import { processingPanel } from "../processing.js";
import { statusBadge } from "../media.js";

const HLS_CONFIG = { workerPath: "/console/vendor/hls.js/hls.worker.js" };

function attach(player, playback) {
  player.hls?.destroy();
  player.hls = null;
  if (playback.thumbnail_url) player.poster = playback.thumbnail_url;
  if (playback.hls_url && Hls.isSupported()) {
    const hls = new Hls(HLS_CONFIG);
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      // A fatal HLS error: fall back to the original file.
      hls.destroy();
      player.hls = null;
      player.src = playback.url;
      player.dataset.source = "stream";
    });
    hls.loadSource(playback.hls_url);
    hls.attachMedia(player);
    player.hls = hls;
    player.dataset.source = "hls";
  } else if (playback.hls_url && player.canPlayType("application/vnd.apple.mpegurl")) {
    player.src = playback.hls_url;
    player.dataset.source = "hls";
  } else {
    player.src = playback.url;
    player.dataset.source = "stream";
  }
}

function details(video) {
  return h(
    "dl",
    { class: "details" },
    h("dt", {}, "Status"),
    h("dd", {}, statusBadge(video.status)),
    h("dt", {}, "Duration"),
    h("dd", {}, formatDuration(video.duration_ms)),
    h("dt", {}, "Size"),
    h("dd", {}, formatBytes(video.size_bytes)),
    h("dt", {}, "Resolution"),
    h("dd", {}, video.width ? `${video.width}×${video.height}` : "–"),
    h("dt", {}, "Uploaded"),
    h("dd", {}, formatTime(video.created_at)),
  );
}

export async function showVideo({ me, main, args }) {
  const id = Number(args[0]);
  const error = errorBox();
  main.append(error);
  let video;
  let playback;
  try {
    [video, playback] = await Promise.all([api.get(`/api/v1/videos/${id}`), api.post(`/api/v1/videos/${id}/playback`)]);
  } catch (err) {
    main.prepend(h("h1", {}, "Video"));
    error.show(api.describe(err));
    return null;
  }
  const player = h("video", { id: "player", controls: true, preload: "metadata", playsinline: true, "aria-label": `Video: ${video.title}` });
  const source = h("p", { class: "muted source-note" });
  const info = h("div", {}, details(video));
  const describeSource = () => {
    source.textContent = player.dataset.source === "hls" ? "Streaming (HLS, adaptive quality)." : "Playing the original file; adaptive streaming follows when processing is done.";
  };
  attach(player, playback);
  describeSource();

  const panel = processingPanel(video, async (next) => {
    info.replaceChildren(details(next));
    if (next.status === "ready" && player.dataset.source !== "hls") {
      const fresh = await api.post(`/api/v1/videos/${id}/playback`).catch(() => null);
      // Switch only while nothing plays, so a viewer is not interrupted.
      if (fresh?.hls_url && (player.paused || player.ended)) {
        attach(player, fresh);
        describeSource();
      }
    }
  });

  const actions = h("div", { class: "actions" });
  if (me.role === "admin") {
    actions.append(
      h(
        "button",
        {
          type: "button",
          class: "danger",
          onclick: async () => {
            try {
              await api.del(`/api/v1/videos/${id}`);
              flash(`“${video.title}” moved to the trash.`);
              location.hash = "#/library";
            } catch (err) {
              error.show(api.describe(err));
            }
          },
        },
        "Move to trash",
      ),
    );
  }
  const top = [h("h1", {}, video.title), video.description ? h("p", { class: "description" }, video.description) : null, h("div", { class: "player-wrap" }, player), source];
  main.prepend(...top.filter(Boolean));
  main.append(panel.element, info, actions);
  return () => {
    panel.stop();
    player.hls?.destroy();
    player.removeAttribute("src");
    player.load();
  };
}
