// Recorder of a user's demonstration, injected into every document of the session
// (context.add_init_script). Each click, typed text (on change, or Enter), choice in a
// drop-down is sent to the binding `__symbioteRecord` with the observation of the page as the
// user saw it just before (the same observe.js, so the ids are the ones that observation
// gives). The placeholder below is replaced by the source of observe.js.
// `window.__symbioteRecorderOff = true` silences it (a take-over handed back to the agent:
// the agent's own clicks are not the user's).
(() => {
  if (window.__symbioteRecorder) return;
  window.__symbioteRecorder = true;
  const observe = __OBSERVE__;
  const snapshot = () => observe({ root: null, maxText: 120 }).nodes;
  const NOT_TYPED = new Set(["checkbox", "radio", "submit", "button", "reset", "image", "file", "range", "color"]);
  const editable = (el) => !!el && (el.tagName === "TEXTAREA" || el.isContentEditable ||
    (el.tagName === "INPUT" && !NOT_TYPED.has((el.type || "").toLowerCase())));
  const sidOf = (el) => {
    const tagged = el && el.closest ? el.closest("[data-sid]") : null;
    return tagged ? tagged.getAttribute("data-sid") : null;
  };
  const send = (event) => {
    try { window.__symbioteRecord(Object.assign({ url: location.href }, event)); } catch (e) { /* page closing */ }
  };
  let pressed = null;          // the snapshot at the pointer's press: what the user saw
  const focused = new WeakMap(); // field → the snapshot when the user started on it
  const valueOf = (el) => el.isContentEditable ? el.innerText : el.value;

  const off = () => !!window.__symbioteRecorderOff;
  // What the fields hold when the listener starts is not the user's doing (the agent may have
  // typed it before a take-over): only a change from it is reported.
  const baseline = () => document.querySelectorAll("input, textarea, [contenteditable]")
    .forEach((el) => { if (editable(el)) el.__symbioteSent = valueOf(el); });
  window.__symbioteListen = () => { window.__symbioteRecorderOff = false; baseline(); };
  baseline();
  document.addEventListener("pointerdown", () => { if (!off()) pressed = snapshot(); }, true);
  document.addEventListener("focusin", (e) => {
    if (off()) return;
    if (editable(e.target) || e.target.tagName === "SELECT") focused.set(e.target, snapshot());
  }, true);
  const typed = (el, enter) => {
    const value = valueOf(el);
    if (el.__symbioteSent === value && !enter) return;
    el.__symbioteSent = value;
    const nodes = focused.get(el) || snapshot();
    send({ kind: "type", sid: el.getAttribute("data-sid") || sidOf(el), text: value, enter, nodes });
    focused.set(el, snapshot());
  };
  // The field the user is still typing in has sent nothing yet (that waits for change or
  // Enter): a take-over handed back sends it now.
  window.__symbioteFlush = () => {
    const el = document.activeElement;
    if (!off() && editable(el)) typed(el, false);
  };
  document.addEventListener("keydown", (e) => {
    if (off()) return;
    if (e.key === "Enter" && editable(e.target) && e.target.tagName !== "TEXTAREA") typed(e.target, true);
  }, true);
  document.addEventListener("change", (e) => {
    if (off()) return;
    const el = e.target;
    if (el.tagName === "SELECT") {
      const nodes = focused.get(el) || snapshot();
      const option = el.selectedIndex >= 0 ? el.options[el.selectedIndex].text.replace(/\s+/g, " ").trim() : "";
      send({ kind: "select", sid: el.getAttribute("data-sid"), option, nodes });
      focused.set(el, snapshot());
    } else if (editable(el)) {
      typed(el, false);
    }
  }, true);
  document.addEventListener("click", (e) => {
    if (off()) return;
    const el = e.target;
    if (editable(el) || el.tagName === "SELECT" || el.tagName === "OPTION") return;
    // A click on a label is passed on to its control, which gets its own click.
    if (el.tagName === "LABEL" && (el.control || el.querySelector("input, select, textarea"))) return;
    const nodes = pressed || snapshot();
    pressed = null;
    send({ kind: "click", sid: sidOf(el), nodes });
  }, true);
})();
