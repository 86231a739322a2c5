// Live processing progress of one video: its jobs (probe, thumbnail, hls) with a progress
// bar each, and the video's status, kept current from the events stream.
import * as api from "./api.js";
import { h } from "./dom.js";
import { followVideo } from "./events.js";
import { statusBadge } from "./media.js";

const JOB_LABELS = { probe: "Reading the file", thumbnail: "Making the poster", hls: "Preparing streaming (HLS)" };

function jobRow(job) {
  const bar = h("progress", { max: "100", value: String(job.progress ?? 0), "aria-label": `${JOB_LABELS[job.type] ?? job.type} progress` });
  const state = h("span", { class: "job-state" });
  const row = h("li", { class: "job", dataset: { jobType: job.type } }, h("span", { class: "job-name" }, JOB_LABELS[job.type] ?? job.type), bar, state);
  row.update = (next) => {
    bar.value = next.status === "succeeded" ? 100 : next.progress ?? 0;
    row.dataset.status = next.status;
    state.textContent = next.error ? `${next.status}: ${next.error.message}` : `${next.status} ${next.status === "running" ? `${next.progress ?? 0}%` : ""}`.trim();
  };
  row.update(job);
  return row;
}

/**
 * A panel that shows the jobs of `video` live. `onVideo(video)` is called when the
 * video's status changes. Returns { element, stop }.
 */
export function processingPanel(video, onVideo = () => {}) {
  const status = h("p", { class: "video-status" }, "Status: ", statusBadge(video.status));
  const jobs = h("ul", { class: "jobs", "aria-label": "Processing jobs" });
  const live = h("p", { class: "live-state muted", "aria-live": "polite" });
  // Hidden until there is something to show (a job, an event): videos processed long ago,
  // or a deployment without the pipeline, get no empty panel.
  const element = h("section", { class: "processing card", hidden: true, "aria-labelledby": `processing-${video.id}` }, h("h2", { id: `processing-${video.id}` }, "Processing"), status, jobs, live);
  const rows = new Map();

  function showJob(job) {
    element.hidden = false;
    const known = rows.get(job.id);
    if (known) {
      known.update(job);
      return;
    }
    const row = jobRow(job);
    rows.set(job.id, row);
    jobs.append(row);
  }

  function showVideo(next) {
    element.hidden = false;
    status.replaceChildren("Status: ", statusBadge(next.status));
    onVideo(next);
  }

  api
    .get(`/api/v1/videos/${video.id}/jobs`)
    // A snapshot that may answer after newer events: it only fills in jobs the stream
    // has not told about (the stream replays every event it still knows, in order).
    .then((page) => (page.items ?? page).filter((job) => !rows.has(job.id)).forEach(showJob))
    .catch(() => {});

  const stop = followVideo(
    video.id,
    (type, payload) => {
      if (type === "job") showJob(payload);
      else if (type === "video") showVideo(payload);
    },
    (state) => {
      live.textContent =
        state === "live" ? "Live updates on." : state === "unavailable" ? "Live updates are not available for this video." : "Reconnecting…";
    },
  );
  return { element, stop };
}
