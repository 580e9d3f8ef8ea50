// The practice account settings: profile view, profile edit form, change password form.
(function () {
  "use strict";
  const { params, makeStore, el } = window.SiteKit;
  const store = makeStore("account", window.ACCOUNT_INITIAL);
  const state = store.load();
  const main = document.querySelector("main");
  const page = document.body.dataset.page;
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"];

  function longDate(iso) {
    const [y, m, d] = iso.split("-").map((s) => parseInt(s, 10));
    return MONTHS[m - 1] + " " + d + ", " + y;
  }

  function header() {
    document.body.prepend(el("header", {},
      el("span", { class: "brand", text: "My Account" }),
      el("a", { href: "index.html", text: "Profile" }),
      el("a", { href: "password.html", text: "Security" })));
  }

  function renderProfile() {
    const p = state.profile;
    main.append(el("h1", { text: "Account settings" }));
    if (params.get("saved")) main.append(el("p", { class: "notice", role: "status", text: "Profile saved." }));
    if (params.get("password")) main.append(el("p", { class: "notice", role: "status", text: "Your password was changed." }));
    const rows = [["Name", p.name], ["Email", p.email], ["Phone", p.phone],
                  ["Address", p.street + ", " + p.city + " " + p.postal],
                  ["Date of birth", longDate(p.dob)],
                  ["Social Security number", "***-**-" + p.ssnLast4], ["IBAN", p.iban]];
    for (const [label, value] of rows) main.append(el("p", { text: label + ": " + value }));
    main.append(el("a", { href: "edit.html", text: "Edit profile" }), " ",
      el("a", { href: "password.html", text: "Change password" }));
  }

  function input(id, label, value, attrs) {
    return [el("label", { for: id, text: label }),
            Object.assign(el("input", Object.assign({ id, name: id }, attrs || {})), { value })];
  }

  function renderEdit() {
    const p = state.profile;
    const error = el("p", { class: "error", role: "alert", hidden: "" });
    const form = el("form", { novalidate: "" },
      ...input("name", "Full name", p.name, { autocomplete: "name" }),
      ...input("email", "Email", p.email, { type: "email", autocomplete: "email" }),
      ...input("phone", "Phone", p.phone, { type: "tel", autocomplete: "tel" }),
      ...input("street", "Street address", p.street, { autocomplete: "street-address" }),
      ...input("city", "City", p.city, { autocomplete: "address-level2" }),
      ...input("postal", "Postal code", p.postal, { autocomplete: "postal-code" }),
      ...input("dob", "Date of birth", p.dob, { type: "date", autocomplete: "bday" }),
      ...input("iban", "IBAN", p.iban, { autocomplete: "off" }),
      el("p", { text: "Social Security number: ***-**-" + p.ssnLast4 + " (contact support to change it)" }),
      el("button", { type: "submit", text: "Save changes" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = {};
      for (const name of ["name", "email", "phone", "street", "city", "postal", "dob", "iban"]) {
        values[name] = form[name].value.trim();
        if (!values[name]) {
          error.textContent = "Please fill in " + form.querySelector(`label[for="${name}"]`).textContent + ".";
          error.hidden = false;
          return;
        }
      }
      if (!/^[^@\s]+@[^@\s]+$/.test(values.email)) {
        error.textContent = "Enter a valid email address.";
        error.hidden = false;
        return;
      }
      Object.assign(state.profile, values);
      state.saves += 1;
      store.save(state);
      window.location.href = "index.html?saved=1";
    });
    main.append(el("h1", { text: "Edit profile" }), error, form,
      el("a", { href: "index.html", text: "Cancel" }));
  }

  function renderPassword() {
    const error = el("p", { class: "error", role: "alert", hidden: "" });
    const form = el("form", { novalidate: "" },
      ...input("current", "Current password", "", { type: "password", autocomplete: "current-password" }),
      ...input("new", "New password", "", { type: "password", autocomplete: "new-password" }),
      ...input("confirm", "Confirm new password", "", { type: "password", autocomplete: "new-password" }),
      el("button", { type: "submit", text: "Change password" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      let problem = "";
      if (form.current.value !== state.password) problem = "The current password is incorrect.";
      else if (form.new.value.length < 10) problem = "The new password must have at least 10 characters.";
      else if (form.new.value !== form.confirm.value) problem = "The new passwords do not match.";
      else if (form.new.value === state.password) problem = "The new password must differ from the current one.";
      if (problem) {
        error.textContent = problem;
        error.hidden = false;
        return;
      }
      state.password = form.new.value;
      state.passwordChanged = true;
      store.save(state);
      window.location.href = "index.html?password=1";
    });
    main.append(el("h1", { text: "Change password" }), error, form);
  }

  header();
  const renderers = { profile: renderProfile, edit: renderEdit, password: renderPassword };
  renderers[page]();
})();
