// Initial data of the practice account settings. The person and every number are invented.
window.ACCOUNT_INITIAL = {
  profile: {
    name: "Alex Morgan",
    email: "alex.morgan@mail.example",
    phone: "+1 503 555 0187",
    street: "17 Harbor Lane",
    city: "Portland",
    postal: "97205",
    dob: "1988-04-12",
    iban: "GB82 WEST 1234 5698 7654 32",
    ssnLast4: "6789",
  },
  // The synthetic current password (resources/sites/secrets.json: account_password).
  password: "Cedar-Moss-5150!",
  passwordChanged: false,
  saves: 0,
};
