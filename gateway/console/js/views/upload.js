// Upload with a real progress bar (XHR upload events), the API's own words for a refused
// file (415 not a video, 413 too large, 422), then the live processing of the new video.
import * as api from "../api.js";
import { h, field, errorBox, formatBytes } from "../dom.js";
import { processingPanel } from "../processing.js";

function send(form, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.upload.addEventListener("progress", (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0));
    xhr.addEventListener("load", async () => {
      if (xhr.status === 201) resolve(JSON.parse(xhr.responseText));
      else reject(await api.errorFrom(xhr.status, xhr.responseText));
    });
    xhr.addEventListener("error", () => reject(new Error("The upload failed: the connection was lost.")));
    xhr.addEventListener("abort", () => reject(new Error("Upload canceled.")));
  });
  xhr.open("POST", "/api/v1/videos");
  for (const [name, value] of Object.entries(api.authHeaders())) xhr.setRequestHeader(name, value);
  xhr.send(new FormData(form));
  return { done, cancel: () => xhr.abort() };
}

export function showUpload({ me, main }) {
  if (me.role !== "admin") {
    main.append(h("h1", {}, "Upload"), h("p", {}, "Only admins of your company can upload videos."));
    return null;
  }
  const error = errorBox();
  const bar = h("progress", { id: "upload-progress", max: "100", value: "0", "aria-label": "Upload progress" });
  const barText = h("span", { class: "progress-text", "aria-live": "polite" });
  const progress = h("div", { class: "upload-progress", hidden: true }, bar, barText);
  const submit = h("button", { type: "submit" }, "Upload");
  const cancel = h("button", { type: "button", class: "secondary", hidden: true }, "Cancel");
  const result = h("div", { class: "upload-result" });
  const form = h(
    "form",
    { class: "card", enctype: "multipart/form-data" },
    field("Title", { name: "title", required: true, maxlength: 200 }),
    h("div", { class: "field" }, h("label", { for: "f-description" }, "Description (optional)"), h("textarea", { id: "f-description", name: "description", rows: "3" })),
    field("Video file", { name: "file", type: "file", required: true, accept: "video/*" }),
    progress,
    error,
    h("div", { class: "actions" }, submit, cancel),
  );
  main.append(h("h1", {}, "Upload a video"), form, result);

  let stopFollowing = null;
  let upload = null;
  cancel.addEventListener("click", () => upload?.cancel());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.show(null);
    const file = form.elements.file.files[0];
    if (!form.elements.title.value.trim() || !file) {
      error.show("A title and a file are needed.");
      return;
    }
    submit.disabled = true;
    cancel.hidden = false;
    progress.hidden = false;
    bar.value = 0;
    upload = send(form, (loaded, total) => {
      const size = total || file.size;
      const percent = size ? Math.min(100, Math.round((loaded / size) * 100)) : 0;
      bar.value = percent;
      barText.textContent = `${formatBytes(loaded)} of ${formatBytes(size)} (${percent}%)`;
    });
    try {
      const video = await upload.done;
      barText.textContent = "Uploaded.";
      form.reset();
      stopFollowing?.();
      const panel = processingPanel(video);
      stopFollowing = panel.stop;
      result.replaceChildren(
        h("p", { class: "success", role: "status" }, "Uploaded “", h("a", { href: `#/videos/${video.id}` }, video.title), "”. It plays already; processing goes on below."),
        panel.element,
      );
    } catch (err) {
      progress.hidden = true;
      error.show(api.describe(err));
    } finally {
      submit.disabled = false;
      cancel.hidden = true;
      upload = null;
    }
  });
  return () => {
    upload?.cancel();
    stopFollowing?.();
  };
}
