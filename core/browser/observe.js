// Builds Symbiote's observation of a page: a pruned accessibility-style tree.
// Each kept element is tagged with a `data-sid` attribute (BrowserGym's approach) so the
// executor can resolve `[id]` with a plain CSS selector. Ids already on the page are kept,
// so an element keeps its id across steps while it lives.
// Argument: {root: CSS selector or null, maxText: int}. Returns {nodes: [...]}, each node
// {sid, role, name, depth, props: {...}, options: [...]}.
// `root` may match several elements (a selector list such as "#main, body > .popup"): each
// match is walked in document order, so layers a widget library attaches to <body> (dialogs,
// menus) stay visible when the observation is restricted to one part of the page.
(args) => {
  const rootSel = args && args.root;
  const maxText = (args && args.maxText) || 120;
  let roots = rootSel ? Array.from(document.querySelectorAll(rootSel)) : [];
  roots = roots.filter((r) => !roots.some((o) => o !== r && o.contains(r)));
  if (!roots.length && document.body) roots = [document.body];
  if (!roots.length) return { nodes: [] };
  if (window.__symbioteNextId === undefined) {
    let max = 0;
    document.querySelectorAll("[data-sid]").forEach((el) => {
      max = Math.max(max, parseInt(el.getAttribute("data-sid"), 10) || 0);
    });
    window.__symbioteNextId = max + 1;
  }
  const sidOf = (el) => {
    let sid = el.getAttribute("data-sid");
    if (!sid) {
      sid = String(window.__symbioteNextId++);
      el.setAttribute("data-sid", sid);
    }
    return sid;
  };
  const clip = (s, n) => {
    s = (s || "").replace(/\s+/g, " ").trim();
    return s.length > n ? s.slice(0, n - 1) + "…" : s;
  };
  const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "META", "LINK", "HEAD", "SVG", "BR", "HR"]);
  const visible = (el) => {
    const style = window.getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden" || style.visibility === "collapse") return false;
    if (parseFloat(style.opacity) === 0 && el.tagName !== "INPUT") return false;
    if (el.tagName === "OPTION") return true;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0 && style.overflow !== "visible") return false;
    return true;
  };
  const labelText = (el) => {
    if (el.getAttribute("aria-label")) return el.getAttribute("aria-label");
    const lb = el.getAttribute("aria-labelledby");
    if (lb) {
      const t = lb.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean).map((n) => n.innerText).join(" ");
      if (t.trim()) return t;
    }
    if (el.id) {
      const l = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (l && l.innerText.trim()) return l.innerText;
    }
    const parentLabel = el.closest("label");
    if (parentLabel && parentLabel.innerText.trim()) return parentLabel.innerText;
    return el.getAttribute("placeholder") || el.getAttribute("title") || el.getAttribute("name") ||
      nearbyText(el);
  };
  // A field with no label of any kind, written the way many pages write one: a short text
  // right before it ("<div>Username</div><input>"). A person reads that text as its label.
  const nearbyText = (el) => {
    if (el.type === "checkbox" || el.type === "radio" || el.tagName === "BUTTON") return "";
    let prev = el.previousSibling;
    while (prev && prev.nodeType === Node.TEXT_NODE && !prev.textContent.trim()) prev = prev.previousSibling;
    if (prev && prev.nodeType === Node.ELEMENT_NODE && prev.matches("input, select, textarea, button")) return "";
    const text = prev ? (prev.nodeType === Node.TEXT_NODE ? prev.textContent : (prev.querySelector && prev.querySelector("input, select, textarea, button") ? "" : prev.innerText)) : "";
    const clean = (text || "").replace(/\s+/g, " ").trim().replace(/[:*]$/, "").trim();
    return clean.length > 0 && clean.length <= 40 && clean.split(" ").length <= 5 ? clean : "";
  };
  const inputRole = (type) => ({
    checkbox: "checkbox", radio: "radio", button: "button", submit: "button", reset: "button",
    image: "button", range: "slider", number: "spinbutton", search: "searchbox", file: "button",
  }[type] || "textbox");
  // Widget classes of common libraries that render without an ARIA role (jQuery UI's slider).
  const WIDGET_ROLES = [["ui-slider", "slider"]];
  const sliderValue = (el) => {
    const h = el.hasAttribute("aria-valuenow") ? el : el.querySelector("[aria-valuenow]");
    if (h) return h.getAttribute("aria-valuetext") || h.getAttribute("aria-valuenow");
    try {
      if (window.jQuery && el.classList.contains("ui-slider")) return String(window.jQuery(el).slider("value"));
    } catch (e) { /* not a live jQuery UI slider */ }
    return "";
  };
  // Icons drawn by CSS (content:url, background-image) or icon fonts have no text: name them by
  // their label, else by their id/class words ("trash", "send-reply"), which is all a page says.
  const GENERIC_ICON_WORDS = new Set(["icon", "icons", "img", "image", "fa", "fas", "far", "glyphicon", "ui", "hover", "pull", "right", "left"]);
  const isIcon = (el) => {
    if (el.children.length || (el.textContent || "").trim()) return false;
    const style = window.getComputedStyle(el);
    // An element replaced by a CSS image counts before the image has loaded (it has no size yet).
    if ((style.content || "").startsWith("url(")) return true;
    const rect = el.getBoundingClientRect();
    if (rect.width < 4 || rect.height < 4) return false;
    return style.backgroundImage !== "none" ||
      el.tagName === "I" || /(^|[\s_-])(icon|fa|glyphicon)([\s_-]|$)/i.test(el.className || "");
  };
  const iconName = (el) => {
    const label = el.getAttribute("aria-label") || el.getAttribute("title") || el.getAttribute("alt");
    if (label) return label;
    const words = `${el.id || ""} ${typeof el.className === "string" ? el.className : ""}`
      .split(/[\s_-]+/).filter((w) => w && !GENERIC_ICON_WORDS.has(w.toLowerCase()) && !/^fa$|^\d+$/.test(w));
    return Array.from(new Set(words)).join(" ");
  };
  // A clickable container is shown as one node only when it holds one piece of text and no
  // icon; otherwise its parts (e.g. "Reply" and "Forward", a row's delete icon) stay separate.
  const simpleContainer = (el) => {
    let texts = 0;
    for (const d of el.querySelectorAll("*")) {
      if (isIcon(d) && iconName(d)) return false;
      if (Array.from(d.childNodes).some((c) => c.nodeType === Node.TEXT_NODE && c.textContent.trim()) && ++texts > 1) return false;
    }
    return true;
  };
  const WRAPPER_ROLES = new Set(["tab", "menuitem", "treeitem", "option"]);
  const NAME_FROM_CONTENT = new Set(["button", "link", "option", "heading", "tab", "menuitem", "treeitem", "cell", "columnheader"]);
  const roleOf = (el) => {
    const explicit = el.getAttribute("role");
    if (explicit) return explicit.split(" ")[0];
    switch (el.tagName) {
      case "A": return el.hasAttribute("href") ? "link" : null;
      case "BUTTON": return "button";
      case "INPUT": return el.type === "hidden" ? null : inputRole(el.type);
      case "TEXTAREA": return "textbox";
      case "SELECT": return "combobox";
      case "H1": case "H2": case "H3": case "H4": case "H5": case "H6": return "heading";
      case "IMG": return "img";
      case "TABLE": return "table";
      case "TR": return "row";
      case "TH": return "columnheader";
      case "TD": return "cell";
      case "FORM": return null;
      case "LABEL": return null;
      case "DIALOG": return "dialog";
      default:
        if (el.isContentEditable && el.parentElement && !el.parentElement.isContentEditable) return "textbox";
        for (const [cls, r] of WIDGET_ROLES) if (el.classList.contains(cls)) return r;
        return null;
    }
  };
  const directText = (el) => {
    let t = "";
    for (const c of el.childNodes) if (c.nodeType === Node.TEXT_NODE) t += " " + c.textContent;
    return clip(t, maxText);
  };
  const clickable = (el) => {
    if (el.onclick || el.hasAttribute("onclick")) return true;
    const style = window.getComputedStyle(el);
    return style.cursor === "pointer" && !(el.parentElement && window.getComputedStyle(el.parentElement).cursor === "pointer");
  };
  // What the form around a control holds, for the on-device judgement of irreversible actions
  // (core/confirm.py): never shown to a model (views.SHOWN_PROPS leaves these out).
  const FORM_ROLES = new Set(["button", "link", "menuitem", "textbox", "searchbox", "spinbutton", "combobox"]);
  const formSignals = (el, role, props) => {
    if (!FORM_ROLES.has(role)) return;
    const form = el.form || el.closest("form");
    if (!form) return;
    props.form = (form.getAttribute("method") || "get").toLowerCase();
    const kinds = new Set();
    const passwords = form.querySelectorAll("input[type=password]");
    if (passwords.length) kinds.add("password");
    if (passwords.length > 1 || form.querySelector("input[autocomplete~=new-password]")) kinds.add("new-password");
    for (const f of form.querySelectorAll("input, select, textarea")) {
      const ac = (f.getAttribute("autocomplete") || "").toLowerCase();
      const label = `${(f.labels && f.labels[0] && f.labels[0].innerText) || ""} ${f.name || ""} ${f.id || ""} ${f.getAttribute("placeholder") || ""}`.toLowerCase();
      if (/(^|\s)cc-/.test(ac) || /card|cvv|cvc|expir|security code/.test(label)) kinds.add("payment");
    }
    props.formfields = Array.from(kinds).join(",");
    const type = (el.getAttribute("type") || (el.tagName === "BUTTON" ? "submit" : "")).toLowerCase();
    if ((el.tagName === "BUTTON" || el.tagName === "INPUT") && (type === "submit" || type === "image")) props.submits = "true";
  };
  const nodes = [];
  const walk = (el, depth) => {
    if (SKIP.has(el.tagName) || !visible(el)) return;
    const role = roleOf(el);
    let consumed = false;
    if (role) {
      const props = {};
      let name = "";
      if (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || role === "textbox") {
        name = labelText(el);
        const type = (el.getAttribute("type") || "").toLowerCase();
        if (el.tagName === "INPUT" && type && !["text", "checkbox", "radio", "submit", "button", "reset"].includes(type)) props.type = type;
        const ac = el.getAttribute("autocomplete");
        if (ac && ac !== "on" && ac !== "off") props.autocomplete = ac;
        if (el.tagName === "SELECT") {
          const opts = Array.from(el.options).map((o) => clip(o.text, 60));
          const sel = el.selectedIndex >= 0 ? clip(el.options[el.selectedIndex].text, 60) : "";
          props.value = sel;
          nodes.push({ sid: sidOf(el), role, name: clip(name, maxText), depth, props, options: opts });
          return;
        }
        if (type === "checkbox" || type === "radio") {
          props.checked = el.checked ? "true" : "false";
          // "on" is the value every checkbox has by default: it names nothing.
          if (!name && el.value !== "on") name = el.value || "";
        } else if (type === "password") {
          props.value = el.value ? "<hidden>" : "";
        } else if (role === "textbox" && el.isContentEditable) {
          props.value = clip(el.innerText, maxText);
        } else if (type !== "submit" && type !== "button" && type !== "reset") {
          props.value = clip(el.value, maxText);
        } else {
          name = el.value || name;
        }
        if (el.tagName === "INPUT" && el.getAttribute("placeholder") && name !== el.getAttribute("placeholder")) {
          props.placeholder = clip(el.getAttribute("placeholder"), 40);
        }
        if (el.required) props.required = "true";
        consumed = true;
      } else if (role === "img") {
        name = el.getAttribute("alt") || el.getAttribute("title") || "";
      } else if (role === "slider") {
        name = el.getAttribute("aria-label") || "";
        props.value = sliderValue(el);
        consumed = true;
      } else if (NAME_FROM_CONTENT.has(role)) {
        name = el.getAttribute("aria-label") || el.innerText || el.getAttribute("title") || "";
        const inner = el.querySelectorAll("a[href], button, input, select, textarea, [role=button], [role=link], [onclick]");
        // A tab or menu item wrapping one link with its own text is one control, not two.
        consumed = inner.length === 0 || (inner.length === 1 && WRAPPER_ROLES.has(role) && inner[0].tagName === "A" &&
          clip(inner[0].innerText, maxText) === clip(name, maxText));
      } else {
        name = el.getAttribute("aria-label") || directText(el);
      }
      if (el.disabled) props.disabled = "true";
      if (el.getAttribute("aria-expanded")) props.expanded = el.getAttribute("aria-expanded");
      if (el.getAttribute("aria-selected") === "true") props.selected = "true";
      // The current page/item of a pager or menu: aria-current, or the common "active" class.
      const cur = el.getAttribute("aria-current");
      if ((cur && cur !== "false") || (role === "link" && (el.classList.contains("active") ||
          (el.parentElement && el.parentElement.tagName === "LI" && el.parentElement.classList.contains("active"))))) props.selected = "true";
      if (el.getAttribute("aria-checked")) props.checked = el.getAttribute("aria-checked");
      if (document.activeElement === el && role === "textbox") props.focused = "true";
      formSignals(el, role, props);
      nodes.push({ sid: sidOf(el), role, name: clip(name, maxText), depth, props });
      if (consumed) return;
      depth += 1;
    } else {
      // A label's text already names its control: repeating it only costs tokens.
      const labelsControl = el.tagName === "LABEL" &&
        ((el.htmlFor && document.getElementById(el.htmlFor)) || el.querySelector("input, select, textarea"));
      const text = labelsControl ? "" : directText(el);
      if (text) {
        const role2 = clickable(el) ? "clickable" : "StaticText";
        nodes.push({ sid: sidOf(el), role: role2, name: text, depth, props: {} });
      } else if (clickable(el) && el.innerText && el.innerText.trim()) {
        if (el.children.length <= 3 && simpleContainer(el)) {
          nodes.push({ sid: sidOf(el), role: "clickable", name: clip(el.innerText, maxText), depth, props: {} });
          return;
        }
        nodes.push({ sid: sidOf(el), role: "clickable", name: "", depth, props: {} });
        depth += 1;
      } else if (isIcon(el)) {
        const name = clip(iconName(el), 40);
        if (name) nodes.push({ sid: sidOf(el), role: "img", name, depth, props: {} });
        return;
      }
    }
    for (const child of el.children) walk(child, depth);
  };
  for (const root of roots) walk(root, 0);
  return { nodes };
}
