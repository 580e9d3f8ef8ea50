"""HELD OUT. Account recovery: e-mail -> a one-time code (shown in a test mailbox on the page
or given in the task) -> a new passphrase typed twice as a `{{secret:…}}` -> done."""

from __future__ import annotations

from trainer.suites.synthetic import chrome
from trainer.suites.synthetic.families.common import (
    FormPage,
    PageFn,
    Plan,
    Query,
    Site,
    checks_for,
    form_page,
    make_spec,
    message_page,
)
from trainer.suites.synthetic.kit import Doc, Field
from trainer.suites.synthetic.spec import Check, UrlCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng

FAMILY, SPLIT = "recovery", "heldout"
SUMMARY = "recover access: e-mail, emailed code, new passphrase twice"

SEND = ("Send me a code", "E-mail a code", "Request code")
CODE_LABELS = ("Confirmation code", "Code from the e-mail", "Access token")
CHECK = ("Validate", "Check this code", "Use code")
REPEAT = ("Repeat the passphrase", "Type it once more", "Passphrase again")
UPDATE = ("Set new passphrase", "Update access", "Replace passphrase")
HEADINGS = ("Recover your access", "Locked out?", "Regain entry")


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    first, last = rng.person()
    email = rng.email(first, last)
    code = rng.digits(rng.pick((6, 8)))
    shown = rng.chance(0.6)
    secret_name = rng.pick(("new_passphrase", "recovery_password", "new_password"))
    masked = email[0] + "•••@" + email.split("@")[1]
    email_field = Field("email", rng.pick(words(SPLIT, "email")), "email", value=email,
                        required=True, autocomplete="email", what="the e-mail address")
    code_field = Field("code", rng.pick(CODE_LABELS), value=code, required=True, expect=code,
                       autocomplete="one-time-code", what="the code")
    new_label = rng.pick(words(SPLIT, "password"))
    pass_fields = [
        Field("password", f"New {new_label.lower()}", "password", secret=secret_name,
              required=True, autocomplete="new-password", what="the new passphrase",
              note="Twelve characters or more."),
        Field("confirm", rng.pick(REPEAT), "password", secret=secret_name, required=True,
              autocomplete="new-password", same="password", what="the same passphrase"),
    ]
    pages_spec = {
        "index.html": FormPage(title="Recover access", heading=rng.pick(HEADINGS),
                               fields=(email_field,), submit=rng.pick(SEND), form="recover",
                               next_page="code.html",
                               intro="We will send a code to the address on your profile.",
                               after=(("I remember it after all", "signin.html"),)),
        "code.html": FormPage(title="Enter code", heading="Check your mailbox",
                              fields=(code_field,), submit=rng.pick(CHECK), form="code",
                              next_page="new.html",
                              intro=f"We sent a {len(code)}-digit code to {masked}." + (
                                  f" Test mailbox preview: “Your code is {code}”." if shown
                                  else "")),
        "new.html": FormPage(title="New passphrase", heading="Choose a new passphrase",
                             fields=tuple(pass_fields), submit=rng.pick(UPDATE), form="reset",
                             next_page="done.html"),
    }

    def page_fn(name: str) -> PageFn:
        def render(q: Query) -> Doc:
            return form_page(look, pages_spec[name], first=name == "index.html")
        return render

    def done(q: Query) -> Doc:
        return message_page(look, "Done", "Access restored",
                            ["Your passphrase has been replaced.",
                             "Every other session was signed out."],
                            [("Go to sign-in", "signin.html")])

    plan = Plan()
    pages = {name: page_fn(name) for name in pages_spec}
    for name, spec in pages_spec.items():
        d = pages[name]({})
        if name == "index.html":
            plan.cookie(name, d, look)
        if name == "code.html":
            target = d.targets["code"]
            source = "shown in the mailbox preview" if shown else "given in the task"
            plan.add(name, "type", target, f"Type the code '{code}' ({source}) into "
                     f"{target.describe()}.", text=code)
        else:
            plan.fill(name, d, spec.fields)
        plan.submit(name, d, "This step is filled in")
    plan.stop("done.html", "", "The passphrase was replaced.")
    checks: list[Check] = (checks_for("recover", (email_field,)) + checks_for("code", (code_field,))
                           + checks_for("reset", pass_fields) + [UrlCheck("done.html")])
    intent = rng.pick((
        "I forgot my passphrase. Recover the account of {e} and set the new one to {s}.",
        "Reset access for {e}: the new passphrase should be {s}.",
        "Get me back into my account ({e}); choose {s} as the new passphrase.",
    )).format(e=email, s=f"{{{{secret:{secret_name}}}}}")
    if not shown:
        intent += rng.pick((" The code in my e-mail is {c}.", " The code they sent me: {c}."
                            )).format(c=code)
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks,
                          {secret_name: rng.password() + rng.digits(3)}, {"shown": str(shown)}),
                {**pages, "done.html": done}, look)
