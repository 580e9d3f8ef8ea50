"""Sign-in: an identifier (username, email or member ID) and a secret (password, passcode or
PIN), sometimes "remember me", sometimes a second step asking for a one-time code that the
page shows or the task gives."""

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
)
from trainer.suites.synthetic.kit import Doc, Field
from trainer.suites.synthetic.spec import Check, FieldCheck, UrlCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng

FAMILY, SPLIT = "signin", "train"
SUMMARY = "sign-in form, optional remember-me and one-time-code step"

IDENTS = {  # kind -> (labels, how the task calls it)
    "username": (("Username", "User name", "User ID", "Login name"), "username"),
    "email": ((), "email"),  # labels from the vocabulary
    "member": (("Member ID", "Membership number", "Customer number"), "member ID"),
}
SECRETS = {  # kind -> (labels, secret names, how the task calls it)
    "password": (("Password", "Your password"), ("site_password", "account_password"), "password"),
    "passcode": (("Passcode", "Access code"), ("passcode", "member_passcode"), "passcode"),
    "pin": (("PIN", "4-digit PIN", "Personal PIN"), ("pin", "login_pin"), "PIN"),
}
SUBMIT = ("Sign in", "Log in", "Continue", "Submit", "Log on", "Access my account")
HEADINGS = ("Sign in", "Log in to your account", "Welcome back", "Member login", "Account access")
REMEMBER = ("Remember me", "Keep me signed in", "Stay logged in", "Remember this device")
OTP_LABELS = ("Verification code", "One-time code", "6-digit code", "Login code")
OTP_SUBMIT = ("Verify", "Confirm code", "Check code", "Submit code")
INTENTS = (
    "Sign in as {id} with the {secw} {sec}.",
    "Log into your account ({idw} {id}, {secw} {sec}).",
    "Could you sign me in? My {idw} is {id} and my {secw} is {sec}.",
    "Use the {idw} {id} and the {secw} {sec} to log in.",
    "I need to get into my {brand} account: {idw} {id}, {secw} {sec}.",
)


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    first, last = rng.person()
    ident_kind = rng.pick(tuple(IDENTS))
    secret_kind = rng.pick(tuple(SECRETS))
    ident_labels, ident_word = IDENTS[ident_kind]
    ident_value = {"username": rng.username(first, last), "email": rng.email(first, last),
                   "member": f"{rng.digits(5)}-{rng.digits(3)}"}[ident_kind]
    secret_labels, secret_names, secret_word = SECRETS[secret_kind]
    secret_name = rng.pick(secret_names)
    secret_value = rng.digits(4) if secret_kind == "pin" else (
        rng.digits(6) if secret_kind == "passcode" else rng.password())
    ident = Field("login", rng.pick(ident_labels or words(SPLIT, "email")),
                  "email" if ident_kind == "email" else "text", value=ident_value,
                  required=True, autocomplete="username", what=f"the {ident_word}",
                  hint="name@example.com" if ident_kind == "email" and rng.chance(0.5) else "")
    secret = Field("secret", rng.pick(secret_labels), "password", required=True,
                   secret=secret_name, autocomplete="current-password", what=f"the {secret_word}")
    has_remember = rng.chance(0.6)
    remember_wanted = has_remember and rng.chance(0.5)
    fields = [ident, secret]
    if has_remember:
        fields.append(Field("remember", rng.pick(REMEMBER), "checkbox", value=remember_wanted,
                            planned=remember_wanted))
    otp = rng.pick(("", "", "shown", "given"))
    code = rng.digits(6)
    brand_first = rng.chance(0.3)
    after = [(rng.pick(("Forgot password?", "Forgot your password?", "Trouble signing in?")),
              "forgot.html")]
    if rng.chance(0.6):
        after.append((rng.pick(("Create an account", "Sign up", "Register", "New here? Join")),
                      "register.html"))
    page_spec = FormPage(
        title="Sign in", heading=rng.pick(HEADINGS), fields=tuple(fields),
        submit=rng.pick(SUBMIT), form="signin", next_page="verify.html" if otp else "home.html",
        intro=f"Use your {look.brand} account." if brand_first else "", after=tuple(after))
    code_field = Field("code", rng.pick(OTP_LABELS), "text", value=code, required=True,
                       expect=code, autocomplete="one-time-code", what="the code",
                       hint="123456" if rng.chance(0.3) else "")
    code_submit = rng.pick(OTP_SUBMIT)
    shown_line = rng.pick(("Demo inbox: your code is {c}.", "We sent a code to ••• 21. For this "
                           "demo, the code is {c}.", "Your one-time code: {c}")).format(c=code)

    verify_heading = rng.pick(("Two-step verification", "Check your phone", "Confirm it's you"))
    last_seen = rng.pick(("yesterday", "3 days ago", "last week"))

    def index(q: Query) -> Doc:
        return form_page(look, page_spec, first=True)

    def verify(q: Query) -> Doc:
        lines = ("Enter the code we just sent to your phone.",) + (
            (shown_line,) if otp == "shown" else ())
        spec = FormPage(title="Verify", heading=verify_heading, fields=(code_field,),
                        submit=code_submit, form="verify", next_page="home.html",
                        intro=" ".join(lines))
        return form_page(look, spec)

    def home(q: Query) -> Doc:
        return message_page(look, "Home", f"Welcome back, {first}!",
                            ["You are signed in.", f"Last sign-in: {last_seen}."],
                            [("Sign out", "index.html"), ("Account", "account.html")])

    plan = Plan()
    d = index({})
    plan.cookie("index.html", d, look)
    plan.fill("index.html", d, fields)
    plan.submit("index.html", d, "The credentials are in")
    checks: list[Check] = checks_for("signin", fields)
    if otp:
        v = verify({})
        source = "shown on the page" if otp == "shown" else "from the task"
        plan.add("verify.html", "type", v.targets["code"],
                 f"Type the code '{code}' ({source}) into {v.targets['code'].describe()}.",
                 text=code)
        plan.submit("verify.html", v, "The code is in")
        checks.append(FieldCheck("verify", "code", code))
    plan.stop("home.html", "", "The welcome page is shown: I am signed in.")
    checks.append(UrlCheck("home.html"))
    intent = rng.pick(INTENTS).format(
        id=ident_value, idw=ident_word, sec=secret.typed, secw=secret_word, brand=look.brand)
    if remember_wanted:
        intent += rng.pick((" Keep me signed in.", " Make sure I stay logged in on this device.",
                            " Tick the option to be remembered."))
    if otp == "given":
        intent += rng.pick((" The one-time code is {c}.", " If it asks for a code, use {c}.",
                            " My verification code is {c}.")).format(c=code)
    elif otp == "shown":
        intent += rng.pick(("", " If a code is requested, use the one shown on the page."))
    variant = {"ident": ident_kind, "secret": secret_kind, "otp": otp or "none",
               "remember": str(has_remember)}
    spec = make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {secret_name: secret_value},
                     variant)
    return Site(spec, {"index.html": index, "verify.html": verify, "home.html": home}, look)
