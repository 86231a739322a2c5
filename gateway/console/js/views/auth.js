// The screens before a login: create a company with its admin, log in, accept an invitation.
import * as api from "../api.js";
import { h, field, formValues, errorBox } from "../dom.js";

function login(email, password) {
  return api.post("/api/v1/auth/login", { email, password }, { auth: false });
}

function authForm({ title, intro, fields, submit, onSubmit, footer }) {
  const error = errorBox();
  const button = h("button", { type: "submit" }, submit);
  const form = h("form", { class: "card narrow", novalidate: true }, h("h1", {}, title), intro, ...fields, error, button, footer);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.show(null);
    button.disabled = true;
    try {
      await onSubmit(formValues(form));
    } catch (err) {
      error.show(api.describe(err));
      button.disabled = false;
    }
  });
  return form;
}

export function showSignup({ main, signedIn }) {
  main.append(
    authForm({
      title: "Create a company",
      intro: h("p", {}, "You become its first admin. Everyone else joins by invitation."),
      fields: [
        field("Company name", { name: "company", required: true, maxlength: 100, autocomplete: "organization" }),
        field("Your name", { name: "name", autocomplete: "name" }),
        field("Email", { name: "email", type: "email", required: true, autocomplete: "email" }),
        field("Password (8 characters or more)", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "new-password" }),
      ],
      submit: "Create company",
      footer: h("p", {}, "Already have an account? ", h("a", { href: "#/login" }, "Log in")),
      onSubmit: async (v) => {
        const admin = { email: v.email, password: v.password, ...(v.name ? { name: v.name } : {}) };
        const company = await api.post("/api/v1/companies", { name: v.company, admin }, { auth: false });
        await signedIn(await login(v.email, v.password), `Company “${company.name}” created.`);
      },
    }),
  );
}

export function showLogin({ main, signedIn }) {
  main.append(
    authForm({
      title: "Log in",
      fields: [
        field("Email", { name: "email", type: "email", required: true, autocomplete: "username" }),
        field("Password", { name: "password", type: "password", required: true, autocomplete: "current-password" }),
      ],
      submit: "Log in",
      footer: h(
        "p",
        {},
        "New here? ",
        h("a", { href: "#/signup" }, "Create a company"),
        " or ",
        h("a", { href: "#/join" }, "accept an invitation"),
        ".",
      ),
      onSubmit: async (v) => signedIn(await login(v.email, v.password)),
    }),
  );
}

export function showJoin({ main, params, signedIn }) {
  main.append(
    authForm({
      title: "Accept an invitation",
      intro: h("p", {}, "Paste the invitation token you were given (an invitation link fills it in)."),
      fields: [
        field("Invitation token", { name: "token", required: true, value: params.get("token") ?? "", autocomplete: "off" }),
        field("Your name", { name: "name", autocomplete: "name" }),
        field("Choose a password (8 characters or more)", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "new-password" }),
      ],
      submit: "Join",
      onSubmit: async (v) => {
        const body = { invitation_token: v.token.trim(), password: v.password, ...(v.name ? { name: v.name } : {}) };
        const user = await api.post("/api/v1/users", body, { auth: false });
        await signedIn(await login(user.email, v.password), `Welcome, you joined as ${user.role}.`);
      },
    }),
  );
  // The link's token is in the fragment only; drop it from the address bar once read.
  if (params.has("token")) history.replaceState(null, "", "#/join");
}
