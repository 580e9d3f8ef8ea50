// Shared by the practice sites. Each site keeps its whole state in one localStorage entry,
// "practice.<site>", so pages can navigate and an evaluator can read it from any page of the
// origin. `?reset=1` on any page restores the initial data, so every episode starts clean.
(function () {
  "use strict";

  const params = new URLSearchParams(window.location.search);

  function makeStore(site, initial, onReset) {
    const key = "practice." + site;
    const fresh = () => JSON.parse(JSON.stringify(initial));
    const load = () => {
      const raw = window.localStorage.getItem(key);
      if (!raw) return fresh();
      try {
        return JSON.parse(raw);
      } catch (err) {
        return fresh();
      }
    };
    const save = (state) => window.localStorage.setItem(key, JSON.stringify(state));
    const reset = (options) => {
      const state = fresh();
      if (onReset) onReset(state, options || {});
      save(state);
      return state;
    };
    if (params.get("reset")) {
      const options = {};
      params.forEach((value, name) => { options[name] = value; });
      reset(options);
      // Drop the reset parameters so reloads and go_back do not reset again.
      const kept = new URLSearchParams(window.location.search);
      ["reset", "signed_in"].forEach((name) => kept.delete(name));
      const query = kept.toString();
      window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    }
    window.siteState = () => JSON.stringify(load());
    window.siteReset = (options) => JSON.stringify(reset(options));
    return { key, load, save, reset };
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function money(cents) {
    return "$" + (cents / 100).toFixed(2);
  }

  window.SiteKit = { params, makeStore, el, money };
})();
