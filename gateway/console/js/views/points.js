// The user's points: the balance and the ledger, newest first.
import * as api from "../api.js";
import { h, errorBox, formatTime } from "../dom.js";

const PAGE = 50;

export async function showPoints({ main, params }) {
  const offset = Number(params.get("offset") ?? 0);
  const error = errorBox();
  main.append(h("h1", {}, "Points"), error);
  try {
    const page = await api.get(`/api/v1/users/me/points?limit=${PAGE}&offset=${offset}`);
    const rows = page.items.map((item) => {
      const match = /^video:(\d+)$/.exec(item.reference ?? "");
      const what = match ? h("a", { href: `#/videos/${match[1]}` }, `video ${match[1]}`) : item.reference;
      return h("tr", {}, h("td", {}, formatTime(item.created_at)), h("td", {}, item.reason), h("td", {}, what), h("td", { class: "num" }, `+${item.amount}`));
    });
    main.append(
      h("p", { class: "balance" }, "Balance: ", h("strong", { id: "balance" }, String(page.balance)), " points"),
      rows.length
        ? h(
            "table",
            { class: "ledger" },
            h("caption", {}, "Points history"),
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Why"), h("th", { scope: "col" }, "For"), h("th", { scope: "col", class: "num" }, "Points"))),
            h("tbody", {}, rows),
          )
        : h("p", { class: "empty" }, "No points yet: watch a video to earn some."),
    );
    const pager = h("nav", { class: "pager", "aria-label": "Pages" });
    if (offset > 0) pager.append(h("a", { href: `#/points?offset=${Math.max(0, offset - PAGE)}` }, "← Newer"));
    if (offset + page.items.length < page.total) pager.append(h("a", { href: `#/points?offset=${offset + PAGE}` }, "Older →"));
    main.append(pager);
  } catch (err) {
    error.show(api.describe(err));
  }
  return null;
}
