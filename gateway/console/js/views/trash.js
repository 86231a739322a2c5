// The trash: deleted videos, restored on a paid plan; on a free plan the button is
// disabled and says why.
import * as api from "../api.js";
import { h, errorBox, formatTime } from "../dom.js";
import { flash } from "../flash.js";
import { pointsByVideo } from "../media.js";
import { videoCard } from "./library.js";

function restoreButton(video, company, error, card) {
  const paid = company.effective_plan === "paid";
  const reasonId = `restore-reason-${video.id}`;
  const button = h("button", { type: "button", disabled: !paid, "aria-describedby": paid ? null : reasonId }, "Restore");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api.post(`/api/v1/videos/${video.id}/restore`);
      card.remove();
      flash(`“${video.title}” restored to the library.`);
    } catch (err) {
      error.show(api.describe(err));
      button.disabled = false;
    }
  });
  return h(
    "div",
    { class: "actions" },
    button,
    paid ? null : h("span", { id: reasonId, class: "reason" }, "Restoring needs a paid plan; your company is on the free plan."),
    h("span", { class: "muted" }, ` Deleted ${formatTime(video.deleted_at)}`),
  );
}

export async function showTrash({ me, main }) {
  if (me.role !== "admin") {
    main.append(h("h1", {}, "Trash"), h("p", {}, "Only admins can see the trash."));
    return null;
  }
  const urls = [];
  const error = errorBox();
  const list = h("ul", { class: "video-grid", "aria-label": "Deleted videos" });
  main.append(h("h1", {}, "Trash"), error, list);
  try {
    const [page, company, earned] = await Promise.all([
      api.get("/api/v1/videos?deleted=true&limit=100"),
      api.get(`/api/v1/companies/${me.company_id}`),
      pointsByVideo(),
    ]);
    main.insertBefore(h("p", { class: "plan" }, `Plan: ${company.effective_plan}`), error);
    if (page.items.length === 0) list.replaceWith(h("p", { class: "empty" }, "The trash is empty."));
    for (const video of page.items) {
      const card = videoCard(video, earned.get(video.id), urls);
      card.querySelector(".meta").append(restoreButton(video, company, error, card));
      list.append(card);
    }
  } catch (err) {
    error.show(api.describe(err));
  }
  return () => urls.forEach((url) => URL.revokeObjectURL(url));
}
