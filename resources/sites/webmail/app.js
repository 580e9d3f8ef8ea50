// The practice webmail: login, inbox, message, compose (new/reply/forward), sent, logout.
(function () {
  "use strict";
  const { params, makeStore, el } = window.SiteKit;
  // Synthetic credentials of the practice account (also in resources/sites/secrets.json).
  const USERNAME = "alex.morgan";
  const PASSWORD = "Plum-Kite-4821!";

  const store = makeStore("webmail", window.WEBMAIL_INITIAL, (state, options) => {
    if (options.signed_in) state.session = USERNAME;
  });
  const state = store.load();
  const main = document.querySelector("main");
  const page = document.body.dataset.page;

  function header() {
    const bar = el("header", {},
      el("span", { class: "brand", text: "Webmail" }),
      el("a", { href: "inbox.html", text: "Inbox" }),
      el("a", { href: "sent.html", text: "Sent" }),
      el("a", { href: "compose.html", text: "Compose" }),
      el("button", { type: "button", text: "Sign out", onclick: signOut }));
    document.body.prepend(bar);
  }

  function signOut() {
    state.session = null;
    store.save(state);
    window.location.href = "index.html";
  }

  function requireSession() {
    if (state.session) {
      header();
      return true;
    }
    main.append(el("h1", { text: "You are signed out" }),
      el("a", { href: "index.html", text: "Sign in" }));
    return false;
  }

  function findMessage(id) {
    return state.inbox.find((m) => m.id === id) || state.sent.find((m) => m.id === id);
  }

  function renderLogin() {
    if (state.session) {
      header();
      main.append(el("h1", { text: "Signed in as " + state.session }),
        el("a", { href: "inbox.html", text: "Open inbox" }));
      return;
    }
    const error = el("p", { class: "error", role: "alert", hidden: "" });
    const form = el("form", {},
      el("label", { for: "username", text: "Username" }),
      el("input", { id: "username", name: "username", autocomplete: "username", required: "" }),
      el("label", { for: "password", text: "Password" }),
      el("input", { id: "password", name: "password", type: "password",
                    autocomplete: "current-password", required: "" }),
      el("button", { type: "submit", text: "Sign in" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const user = form.username.value.trim();
      if (user === USERNAME && form.password.value === PASSWORD) {
        state.session = USERNAME;
        store.save(state);
        window.location.href = "inbox.html";
      } else {
        error.textContent = "Wrong username or password.";
        error.hidden = false;
      }
    });
    main.append(el("h1", { text: "Sign in to Webmail" }), error, form);
  }

  function messageList(messages, hrefOf, labelOf) {
    const list = el("ul", { class: "list" });
    for (const m of messages) {
      const link = el("a", { href: hrefOf(m), text: labelOf(m) });
      if (state.read.indexOf(m.id) < 0 && !m.to) link.className = "unread";
      list.append(el("li", {}, link, " ", el("span", { class: "meta", text: m.date })));
    }
    return list;
  }

  function renderInbox() {
    if (!requireSession()) return;
    main.append(el("h1", { text: "Inbox" }),
      messageList(state.inbox, (m) => "message.html?id=" + m.id,
        (m) => m.from + " — " + m.subject));
  }

  function renderSent() {
    if (!requireSession()) return;
    main.append(el("h1", { text: "Sent" }));
    if (params.get("sent")) main.append(el("p", { class: "notice", role: "status", text: "Message sent." }));
    if (!state.sent.length) main.append(el("p", { text: "No sent messages." }));
    else main.append(messageList(state.sent.slice().reverse(), (m) => "message.html?id=" + m.id,
      (m) => "To " + m.to + " — " + m.subject));
  }

  function renderMessage() {
    if (!requireSession()) return;
    const m = findMessage(params.get("id") || "");
    if (!m) {
      main.append(el("h1", { text: "Message not found" }), el("a", { href: "inbox.html", text: "Back to inbox" }));
      return;
    }
    if (!m.to && state.read.indexOf(m.id) < 0) {
      state.read.push(m.id);
      store.save(state);
    }
    main.append(el("h1", { text: m.subject }));
    if (m.to) main.append(el("p", { class: "meta", text: "To: " + m.to }));
    else main.append(el("p", { class: "meta", text: "From: " + m.from + " <" + m.address + ">" }));
    main.append(el("p", { class: "meta", text: "Date: " + m.date }));
    const body = el("div", { class: "body" });
    for (const line of m.body) if (line.trim()) body.append(el("p", { text: line }));
    main.append(body);
    if (!m.to) {
      main.append(
        el("button", { type: "button", text: "Reply",
                       onclick: () => { window.location.href = "compose.html?reply=" + m.id; } }),
        " ",
        el("button", { type: "button", text: "Forward",
                       onclick: () => { window.location.href = "compose.html?forward=" + m.id; } }));
    }
  }

  function composeDefaults() {
    const reply = findMessage(params.get("reply") || "");
    if (reply) {
      const quoted = reply.body.map((line) => "> " + line).join("\n");
      return { to: reply.address, subject: "Re: " + reply.subject, replyTo: reply.id,
               body: "\n\nOn " + reply.date + ", " + reply.from + " wrote:\n" + quoted };
    }
    const fwd = findMessage(params.get("forward") || "");
    if (fwd) {
      return { to: "", subject: "Fwd: " + fwd.subject, forwardOf: fwd.id,
               body: "\n\n---------- Forwarded message ----------\nFrom: " + fwd.from + " <" +
                     fwd.address + ">\nDate: " + fwd.date + "\nSubject: " + fwd.subject + "\n\n" +
                     fwd.body.join("\n") };
    }
    return { to: "", subject: "", body: "" };
  }

  function renderCompose() {
    if (!requireSession()) return;
    const defaults = composeDefaults();
    const error = el("p", { class: "error", role: "alert", hidden: "" });
    const form = el("form", {},
      el("label", { for: "to", text: "To" }),
      el("input", { id: "to", name: "to", type: "email", multiple: "", autocomplete: "email" }),
      el("label", { for: "subject", text: "Subject" }),
      el("input", { id: "subject", name: "subject" }),
      el("label", { for: "body", text: "Message" }),
      el("textarea", { id: "body", name: "body" }),
      el("button", { type: "submit", text: "Send" }));
    form.to.value = defaults.to;
    form.subject.value = defaults.subject;
    form.body.value = defaults.body;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const to = form.to.value.split(",").map((s) => s.trim()).filter(Boolean);
      if (!to.length || !to.every((a) => /^[^@\s]+@[^@\s]+$/.test(a))) {
        error.textContent = "Enter at least one valid recipient address.";
        error.hidden = false;
        return;
      }
      state.sent.push({ id: "s" + (state.sent.length + 1), to: to.join(", "),
                        subject: form.subject.value, body: form.body.value.split("\n"),
                        date: "Nov 5, 2024", replyTo: defaults.replyTo || null,
                        forwardOf: defaults.forwardOf || null });
      store.save(state);
      window.location.href = "sent.html?sent=1";
    });
    const title = defaults.replyTo ? "Reply" : defaults.forwardOf ? "Forward" : "New message";
    main.append(el("h1", { text: title }), error, form);
  }

  const renderers = { login: renderLogin, inbox: renderInbox, sent: renderSent,
                      message: renderMessage, compose: renderCompose };
  renderers[page]();
})();
