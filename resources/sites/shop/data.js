// Initial data of the practice shop. Products, prices and the past order are invented.
window.SHOP_INITIAL = {
  products: [
    { id: "p1", name: "Trail Water Bottle 750 ml", price: 1800,
      description: "Insulated steel bottle, keeps drinks cold for 24 hours." },
    { id: "p2", name: "Merino Wool Socks (2 pairs)", price: 2450,
      description: "Soft, warm hiking socks in sizes S to XL." },
    { id: "p3", name: "Canvas Day Backpack", price: 5900,
      description: "22 litre backpack with a padded laptop sleeve." },
    { id: "p4", name: "LED Headlamp 300 lm", price: 3200,
      description: "Rechargeable headlamp with red night mode." },
    { id: "p5", name: "Enamel Camping Mug", price: 1200,
      description: "350 ml mug, light and hard to break." },
    { id: "p6", name: "Packable Rain Jacket", price: 8900,
      description: "Waterproof jacket that folds into its own pocket." },
  ],
  cart: [],
  orders: [
    { id: "A1007", items: [{ id: "p3", name: "Canvas Day Backpack", qty: 1, price: 5900 }],
      total: 5900, shipping: { name: "Alex Morgan", street: "17 Harbor Lane", city: "Portland",
      postal: "97205", country: "United States" },
      payment: { name: "Alex Morgan", last4: "1111", exp: "12/28" } },
  ],
  nextOrder: 1010,
};
