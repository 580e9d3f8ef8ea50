# ruff: noqa: E501  (the embedded script keeps its own line lengths)
"""The vanilla JS every generated page carries inline (no external assets).

Pages declare behaviour with data attributes, so the generator writes no per-page script:
  <body data-key="synthetic.<family>.<seed>">  the localStorage entry of the task's state
  <form data-form="NAME" data-next="URL">      validate, store the values in
                                               state.forms[NAME], then go to URL
                                               (data-set="KEY=VALUE": also set state[KEY])
  data-do="op:arg;op:arg" on a clickable       open/show/hide/remove/tab/switch/set/log/go/submit
  data-unless="KEY"                             removed once state[KEY] is set (cookie banner)
`?reset=1` on any page clears the state (every episode starts clean), as the practice sites do.
"""

RUNTIME_JS = r"""
(function () {
  "use strict";
  const KEY = document.body.dataset.key;
  const params = new URLSearchParams(location.search);
  if (params.has("reset")) {
    localStorage.removeItem(KEY);
    params.delete("reset");
    const q = params.toString();
    history.replaceState(null, "", location.pathname + (q ? "?" + q : ""));
  }
  const load = () => {
    try { return JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch (e) { return {}; }
  };
  const state = load();
  const save = () => localStorage.setItem(KEY, JSON.stringify(state));
  window.siteState = () => JSON.stringify(load());
  const byId = (id) => document.getElementById(id);
  document.querySelectorAll("[data-unless]").forEach((el) => {
    if (state[el.dataset.unless] !== undefined) el.remove();
  });
  function closeMenus(except) {
    document.querySelectorAll("[data-menu]").forEach((m) => {
      if (m === except || m.hidden) return;
      m.hidden = true;
      const b = document.querySelector('[aria-controls="' + m.id + '"]');
      if (b) b.setAttribute("aria-expanded", "false");
    });
  }
  const ops = {
    open(el, id) {
      const t = byId(id), opening = t.hidden;
      closeMenus(t);
      t.hidden = !opening;
      if (el.hasAttribute("aria-expanded")) el.setAttribute("aria-expanded", String(opening));
    },
    show(el, id) { closeMenus(null); byId(id).hidden = false; },
    hide(el, id) { byId(id).hidden = true; },
    remove(el, id) { const t = byId(id); if (t) t.remove(); },
    tab(el, id) {
      const group = el.closest("[data-tabs]");
      group.querySelectorAll("[role=tab]").forEach((t) => t.setAttribute("aria-selected", String(t === el)));
      group.querySelectorAll("[role=tabpanel]").forEach((p) => { p.hidden = p.id !== id; });
    },
    switch(el) { el.setAttribute("aria-checked", String(el.getAttribute("aria-checked") !== "true")); },
    set(el, kv) { const i = kv.indexOf("="); state[kv.slice(0, i)] = kv.slice(i + 1); save(); },
    log(el, v) { state.log = (state.log || []).concat([v]); save(); },
    go(el, url) { location.href = url; },
    submit(el, id) { byId(id).requestSubmit(); },
  };
  document.addEventListener("click", (ev) => {
    const el = ev.target.closest("[data-do]");
    if (!el) {
      if (!ev.target.closest("[data-menu]")) closeMenus(null);
      return;
    }
    ev.preventDefault();
    for (const cmd of el.dataset.do.split(";")) {
      const i = cmd.indexOf(":");
      ops[i < 0 ? cmd : cmd.slice(0, i)](el, i < 0 ? "" : cmd.slice(i + 1));
    }
  });
  const controls = (form) => Array.from(form.querySelectorAll("input[name], select[name], textarea[name]"));
  function collect(form) {
    const values = {};
    for (const c of controls(form)) {
      if (c.type === "radio") {
        if (c.checked) values[c.name] = c.value;
        else if (!(c.name in values)) values[c.name] = "";
      } else if (c.type === "checkbox") values[c.name] = c.checked;
      else if (c.tagName === "SELECT") {
        const o = c.options[c.selectedIndex];
        values[c.name] = !o || o.hasAttribute("data-placeholder") ? "" : o.text;
      } else values[c.name] = c.value.trim();
    }
    form.querySelectorAll("[role=switch][data-name]").forEach((s) => {
      values[s.dataset.name] = s.getAttribute("aria-checked") === "true";
    });
    return values;
  }
  function problem(form, values) {
    for (const c of controls(form)) {
      const v = values[c.name], label = c.dataset.label || c.name;
      if (c.required && (v === "" || v === false)) {
        return c.type === "checkbox" ? "Please tick " + label + "." : "Please fill in " + label + ".";
      }
      if (c.type === "email" && v && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) return "Enter a valid email address.";
      if (c.dataset.same && v !== values[c.dataset.same]) return "The two " + label + " entries do not match.";
      if (c.dataset.expect && v !== c.dataset.expect) return "That code is not valid.";
    }
    return "";
  }
  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (!form.dataset.form) return;  // plain GET forms (search, tracking) navigate natively
    ev.preventDefault();
    const values = collect(form), error = problem(form, values);
    const alert = form.querySelector("[data-error]");
    if (error) {
      alert.textContent = error;
      alert.hidden = false;
      return;
    }
    state.forms = state.forms || {};
    state.forms[form.dataset.form] = values;
    if (form.dataset.set) {
      const i = form.dataset.set.indexOf("=");
      state[form.dataset.set.slice(0, i)] = form.dataset.set.slice(i + 1);
    }
    save();
    location.href = form.dataset.next;
  });
  document.querySelectorAll("form[data-form][data-restore]").forEach((form) => {
    const saved = (state.forms || {})[form.dataset.form];
    if (!saved) return;
    for (const c of controls(form)) {
      if (!(c.name in saved)) continue;
      const v = saved[c.name];
      if (c.type === "checkbox") c.checked = v === true;
      else if (c.type === "radio") c.checked = c.value === v;
      else if (c.tagName === "SELECT") { for (const o of c.options) o.selected = o.text === v; }
      else if (c.type !== "password") c.value = v;
    }
    form.querySelectorAll("[role=switch][data-name]").forEach((s) => {
      if (s.dataset.name in saved) s.setAttribute("aria-checked", String(saved[s.dataset.name] === true));
    });
  });
})();
"""
