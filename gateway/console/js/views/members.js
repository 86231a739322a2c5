// Members (admins): invite someone and hand them the one-time token or link; the pending
// invitations (revocable) and the company's users.
import * as api from "../api.js";
import { h, field, formValues, errorBox, formatTime } from "../dom.js";

function inviteLink(token) {
  // The token rides in the fragment: browsers never send it to a server.
  return `${location.origin}/#/join?token=${encodeURIComponent(token)}`;
}

function shownOnce(invitation) {
  const link = inviteLink(invitation.token);
  const copy = (text) => () => navigator.clipboard?.writeText(text);
  return h(
    "section",
    { class: "card invitation-made", role: "status", "aria-labelledby": "made-title" },
    h("h2", { id: "made-title" }, `Invitation for ${invitation.email} (${invitation.role})`),
    h("p", {}, "Shown only now: send it to them. It works once, until ", formatTime(invitation.expires_at), "."),
    h("div", { class: "field" }, h("label", { for: "invite-token" }, "Token"), h("input", { id: "invite-token", readonly: true, value: invitation.token })),
    h("div", { class: "field" }, h("label", { for: "invite-link" }, "Link"), h("input", { id: "invite-link", readonly: true, value: link })),
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: copy(link) }, "Copy link"), h("button", { type: "button", class: "secondary", onclick: copy(invitation.token) }, "Copy token")),
  );
}

async function fillPending(list, error) {
  const page = await api.get("/api/v1/invitations");
  const items = page.items ?? page;
  list.replaceChildren(
    ...items.map((inv) =>
      h(
        "li",
        {},
        `${inv.email} · ${inv.role} · until ${formatTime(inv.expires_at)} `,
        h(
          "button",
          {
            type: "button",
            class: "link",
            onclick: async () => {
              try {
                await api.del(`/api/v1/invitations/${inv.id}`);
                await fillPending(list, error);
              } catch (err) {
                error.show(api.describe(err));
              }
            },
          },
          "Revoke",
        ),
      ),
    ),
  );
  if (items.length === 0) list.replaceChildren(h("li", { class: "muted" }, "None pending."));
}

export async function showMembers({ me, main }) {
  if (me.role !== "admin") {
    main.append(h("h1", {}, "Members"), h("p", {}, "Only admins can invite members."));
    return null;
  }
  const error = errorBox();
  const made = h("div");
  const pending = h("ul", { class: "plain-list", "aria-label": "Pending invitations" });
  const users = h("ul", { class: "plain-list", "aria-label": "Users" });
  const role = h("select", { id: "f-role", name: "role" }, h("option", { value: "member" }, "member"), h("option", { value: "admin" }, "admin"));
  const form = h(
    "form",
    { class: "card" },
    h("h2", {}, "Invite someone"),
    field("Email", { name: "email", type: "email", required: true }),
    h("div", { class: "field" }, h("label", { for: "f-role" }, "Role"), role),
    error,
    h("button", { type: "submit" }, "Create invitation"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.show(null);
    try {
      const invitation = await api.post("/api/v1/invitations", formValues(form));
      made.replaceChildren(shownOnce(invitation));
      form.reset();
      await fillPending(pending, error);
    } catch (err) {
      error.show(api.describe(err));
    }
  });
  main.append(h("h1", {}, "Members"), form, made, h("h2", {}, "Pending invitations"), pending, h("h2", {}, "Users"), users);
  try {
    await fillPending(pending, error);
    const page = await api.get("/api/v1/users?limit=100");
    users.replaceChildren(...page.items.map((u) => h("li", {}, `${u.name || "–"} · ${u.email} · ${u.role} · ${u.points} points`)));
  } catch (err) {
    error.show(api.describe(err));
  }
  return null;
}
