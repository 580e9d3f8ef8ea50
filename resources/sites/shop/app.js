// The practice shop: product list, product page, cart, checkout, order confirmation.
(function () {
  "use strict";
  const { params, makeStore, el, money } = window.SiteKit;
  const store = makeStore("shop", window.SHOP_INITIAL);
  const state = store.load();
  const main = document.querySelector("main");
  const page = document.body.dataset.page;
  const product = (id) => state.products.find((p) => p.id === id);
  const cartTotal = () => state.cart.reduce((sum, line) => sum + line.qty * product(line.id).price, 0);
  const cartCount = () => state.cart.reduce((sum, line) => sum + line.qty, 0);

  function header() {
    document.body.prepend(el("header", {},
      el("span", { class: "brand", text: "Northwind Shop" }),
      el("a", { href: "index.html", text: "Products" }),
      el("a", { href: "cart.html", text: "Cart (" + cartCount() + ")" })));
  }

  function renderList() {
    const list = el("ul", { class: "list" });
    for (const p of state.products) {
      list.append(el("li", {}, el("a", { href: "product.html?id=" + p.id, text: p.name }), " ",
        el("span", { text: money(p.price) })));
    }
    main.append(el("h1", { text: "Products" }), list);
  }

  function renderProduct() {
    const p = product(params.get("id") || "");
    if (!p) {
      main.append(el("h1", { text: "Product not found" }), el("a", { href: "index.html", text: "All products" }));
      return;
    }
    const notice = el("p", { class: "notice", role: "status", hidden: "" });
    const form = el("form", {},
      el("label", { for: "qty", text: "Quantity" }),
      el("input", { id: "qty", name: "qty", type: "number", min: "1", max: "20", value: "1" }),
      el("button", { type: "submit", text: "Add to cart" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const qty = Math.max(1, Math.min(20, parseInt(form.qty.value, 10) || 1));
      const line = state.cart.find((l) => l.id === p.id);
      if (line) line.qty += qty;
      else state.cart.push({ id: p.id, qty });
      store.save(state);
      notice.textContent = "Added " + qty + " × " + p.name + " to your cart.";
      notice.hidden = false;
      document.querySelector("header a[href='cart.html']").textContent = "Cart (" + cartCount() + ")";
    });
    main.append(el("h1", { text: p.name }), el("p", { text: "Price: " + money(p.price) }),
      el("p", { text: p.description }), notice, form,
      el("p", {}, el("a", { href: "cart.html", text: "View cart" })));
  }

  function renderCart() {
    main.append(el("h1", { text: "Your cart" }));
    if (!state.cart.length) {
      main.append(el("p", { text: "Your cart is empty." }));
      return;
    }
    // A list, not a table: two observation elements per line instead of six.
    const list = el("ul", { class: "list" });
    for (const line of state.cart) {
      const p = product(line.id);
      list.append(el("li", {}, el("span", { text: p.name + " × " + line.qty + " — " + money(line.qty * p.price) }),
        " ",
        el("button", { type: "button", "aria-label": "Remove " + p.name, text: "Remove",
          onclick: () => {
            state.cart = state.cart.filter((l) => l.id !== line.id);
            store.save(state);
            window.location.reload();
          } })));
    }
    main.append(list, el("p", { text: "Total: " + money(cartTotal()) }),
      el("a", { href: "checkout.html", text: "Proceed to checkout" }));
  }

  function luhn(digits) {
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let d = parseInt(digits[digits.length - 1 - i], 10);
      if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function field(id, label, attrs) {
    return [el("label", { for: id, text: label }),
            el("input", Object.assign({ id, name: id, required: "" }, attrs || {}))];
  }

  function checkoutError(form) {
    const card = form["cc-number"].value.replace(/[\s-]/g, "");
    for (const input of form.querySelectorAll("input")) {
      if (!input.value.trim()) return "Please fill in " + form.querySelector(`label[for="${input.id}"]`).textContent + ".";
    }
    if (!/^\d{13,19}$/.test(card) || !luhn(card)) return "The card number is not valid.";
    if (!/^(0[1-9]|1[0-2])\/\d{2}$/.test(form["cc-exp"].value.trim())) return "Enter the expiry date as MM/YY.";
    if (!/^\d{3,4}$/.test(form["cc-csc"].value.trim())) return "The security code must have 3 or 4 digits.";
    return "";
  }

  function renderCheckout() {
    main.append(el("h1", { text: "Checkout" }));
    if (!state.cart.length) {
      main.append(el("p", { text: "Your cart is empty." }), el("a", { href: "index.html", text: "Browse products" }));
      return;
    }
    const error = el("p", { class: "error", role: "alert", hidden: "" });
    const country = el("select", { id: "country", name: "country", autocomplete: "country-name" });
    for (const c of ["United States", "Canada", "Germany", "United Kingdom"]) country.append(el("option", { text: c }));
    const form = el("form", { novalidate: "" },
      el("h2", { text: "Shipping address" }),
      ...field("ship-name", "Full name", { autocomplete: "name" }),
      ...field("street", "Street address", { autocomplete: "street-address" }),
      ...field("city", "City", { autocomplete: "address-level2" }),
      ...field("postal", "Postal code", { autocomplete: "postal-code" }),
      el("label", { for: "country", text: "Country" }), country,
      el("h2", { text: "Payment" }),
      ...field("cc-name", "Name on card", { autocomplete: "cc-name" }),
      ...field("cc-number", "Card number", { autocomplete: "cc-number", inputmode: "numeric" }),
      ...field("cc-exp", "Expiry (MM/YY)", { autocomplete: "cc-exp" }),
      ...field("cc-csc", "Security code (CVV)", { autocomplete: "cc-csc", type: "password", inputmode: "numeric" }),
      el("p", { text: "Order total: " + money(cartTotal()) }),
      el("button", { type: "submit", text: "Place order" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const problem = checkoutError(form);
      if (problem) {
        error.textContent = problem;
        error.hidden = false;
        return;
      }
      const order = {
        id: "A" + state.nextOrder,
        items: state.cart.map((l) => ({ id: l.id, name: product(l.id).name, qty: l.qty, price: product(l.id).price })),
        total: cartTotal(),
        shipping: { name: form["ship-name"].value.trim(), street: form.street.value.trim(),
                    city: form.city.value.trim(), postal: form.postal.value.trim(), country: country.value },
        // Only what a receipt shows: the full card number and the CVV are not kept.
        payment: { name: form["cc-name"].value.trim(),
                   last4: form["cc-number"].value.replace(/\D/g, "").slice(-4),
                   exp: form["cc-exp"].value.trim() },
      };
      state.orders.push(order);
      state.nextOrder += 1;
      state.cart = [];
      store.save(state);
      window.location.href = "confirmation.html?order=" + order.id;
    });
    main.append(error, form);
  }

  function renderConfirmation() {
    const order = state.orders.find((o) => o.id === params.get("order"));
    if (!order) {
      main.append(el("h1", { text: "Order not found" }));
      return;
    }
    const s = order.shipping;
    main.append(el("h1", { text: "Thank you for your order" }),
      el("p", { text: "Order " + order.id + " is confirmed." }),
      el("p", { text: "Total: " + money(order.total) }),
      el("p", { text: "Shipping to: " + [s.name, s.street, s.city + " " + s.postal, s.country].join(", ") }),
      el("p", { text: "Paid with the card ending in " + order.payment.last4 + "." }),
      el("a", { href: "index.html", text: "Continue shopping" }));
  }

  header();
  const renderers = { list: renderList, product: renderProduct, cart: renderCart,
                      checkout: renderCheckout, confirmation: renderConfirmation };
  renderers[page]();
})();
