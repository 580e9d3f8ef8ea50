"""Sign-up: name (one field or two), email, password + confirmation, a drop-down, the terms
checkbox and sometimes a marketing checkbox the task says to leave alone or to tick."""

from __future__ import annotations

from trainer.suites.synthetic import chrome
from trainer.suites.synthetic.families.common import (
    FormPage,
    Plan,
    Query,
    Site,
    checks_for,
    form_page,
    make_spec,
    message_page,
    reorder,
)
from trainer.suites.synthetic.kit import Doc, Field
from trainer.suites.synthetic.spec import UrlCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng

FAMILY, SPLIT = "signup", "train"
SUMMARY = "registration form with password confirmation, a select and the terms checkbox"

SELECTS = (  # (label, options, how the task says it)
    ("Country", ("Elmland", "Norvania", "Ostria", "Quellmark", "Saffronia", "Vestria"), "country"),
    ("Plan", ("Free", "Starter", "Team", "Business"), "plan"),
    ("How did you hear about us?", ("A friend", "Search engine", "Podcast", "Social media",
                                    "Newspaper"), "source"),
    ("Account type", ("Personal", "Family", "Small business"), "account type"),
)
PASSWORD_CONFIRM = ("Confirm password", "Repeat password", "Re-enter password")
TERMS = ("I agree to the Terms of Service", "I accept the terms and conditions",
         "I have read and accept the privacy policy")
MARKETING = ("Send me news and offers", "Subscribe to the monthly newsletter",
             "I'd like product updates by email")
SUBMIT = ("Create account", "Sign up", "Register", "Join now", "Get started")
HEADINGS = ("Create your account", "Sign up", "Join {brand}", "Register", "New account")
INTENTS = (
    "Create an account for {name} with the email {email} and the password {sec}; "
    "choose {opt} as the {optw}.",
    "Sign up as {name} ({email}), {optw} {opt}, password {sec}. Accept the terms.",
    "Register a new {brand} account: name {name}, email {email}, {optw} {opt}, "
    "and use {sec} as the password.",
    "I'd like to join {brand}. My name is {name}, my email is {email}, pick {opt} for the "
    "{optw} and set the password to {sec}.",
)


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    first, last = rng.person()
    email = rng.email(first, last)
    split_name = rng.chance(0.4)
    secret_name = rng.pick(("new_password", "signup_password", "account_password"))
    label, options, option_word = rng.pick(SELECTS)
    option = rng.pick(options)
    fields: list[Field] = []
    if split_name:
        fields += [Field("first", rng.pick(words(SPLIT, "first")), value=first, required=True,
                         autocomplete="given-name", what="the first name"),
                   Field("last", rng.pick(words(SPLIT, "last")), value=last, required=True,
                         autocomplete="family-name", what="the last name")]
    else:
        fields.append(Field("name", rng.pick(words(SPLIT, "name")), value=f"{first} {last}",
                            required=True, autocomplete="name", what="the name"))
    fields.append(Field("email", rng.pick(words(SPLIT, "email")), "email", value=email,
                        required=True, autocomplete="email", what="the email address"))
    fields.append(Field("choice", label, "select", value=option, options=options,
                        placeholder_option=rng.pick(("Choose…", "Select one", "— Select —")),
                        required=True))
    fields = reorder(rng.pick, fields, {"email", "choice"}) if rng.chance(0.3) else fields
    pw_label = rng.pick(words(SPLIT, "password"))
    fields += [
        Field("password", pw_label, "password", secret=secret_name, required=True,
              autocomplete="new-password", what="the new password",
              note=rng.pick(("", "At least 10 characters.", "Use letters, numbers and a symbol."))),
        Field("confirm", rng.pick(PASSWORD_CONFIRM), "password", secret=secret_name,
              required=True, autocomplete="new-password", same="password",
              what="the same password again"),
    ]
    marketing = rng.pick(("", "leave", "tick"))
    if marketing:
        fields.append(Field("marketing", rng.pick(MARKETING), "checkbox",
                            value=marketing == "tick", planned=marketing == "tick"))
    fields.append(Field("terms", rng.pick(TERMS), "checkbox", value=True, required=True))
    name = f"{first} {last}"
    page_spec = FormPage(
        title="Sign up", heading=rng.pick(HEADINGS).format(brand=look.brand),
        fields=tuple(fields), submit=rng.pick(SUBMIT), form="signup", next_page="welcome.html",
        intro=rng.pick(("", "It takes less than a minute.", "Already a member? Sign in instead.")),
        after=((rng.pick(("Already have an account? Sign in", "Log in instead")), "signin.html"),))

    def index(q: Query) -> Doc:
        return form_page(look, page_spec, first=True)

    def welcome(q: Query) -> Doc:
        return message_page(look, "Welcome", f"Welcome to {look.brand}, {first}!",
                            ["Your account has been created.",
                             "We sent a confirmation link to your inbox."],
                            [("Go to your dashboard", "dashboard.html")])

    plan = Plan()
    d = index({})
    plan.cookie("index.html", d, look)
    plan.fill("index.html", d, fields)
    plan.submit("index.html", d, "The form is complete")
    plan.stop("welcome.html", "", "The account was created.")
    intent = rng.pick(INTENTS).format(name=name, email=email, opt=option, optw=option_word,
                                      sec=f"{{{{secret:{secret_name}}}}}", brand=look.brand)
    if marketing == "tick":
        intent += rng.pick((" Sign me up for the emails too.", " I want the newsletter."))
    elif marketing == "leave" and rng.chance(0.5):
        intent += rng.pick((" No marketing emails, please.", " Don't subscribe me to anything."))
    checks = checks_for("signup", fields) + [UrlCheck("welcome.html")]
    variant = {"name": "split" if split_name else "one", "select": option_word,
               "marketing": marketing or "none"}
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks,
                          {secret_name: rng.password()}, variant),
                {"index.html": index, "welcome.html": welcome}, look)
