"""HELD OUT. A profile editor as a three-step wizard with a stepper: prefilled details to
change, preferences (radio, checkboxes, select), then a final step to publish."""

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

FAMILY, SPLIT = "wizard", "heldout"
SUMMARY = "three-step profile wizard: prefilled fields, radio/checkbox/select, publish"

CONTACT = ("E-mail", "Text message", "Letter")
INTERESTS = ("Hiking", "Board games", "Pottery", "Astronomy", "Choir", "Cycling", "Chess")
LANGS = ("English", "Nederlands", "Svenska", "Português")
STEPS = ("About you", "Preferences", "Publish")
PUBLISH = ("Publish profile", "Finish", "Make it live")
VISIBLE = ("List me in the member directory", "Show my profile to other members")


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    first, last = rng.person()
    old_city, new_city = rng.city(), rng.city()
    while new_city == old_city:
        new_city = rng.city()
    old_name = f"{first} {last[0]}."
    new_name = rng.pick((f"{first} {last}", f"{first[:3]} {last}", f"{first}{rng.digits(2)}"))
    interests = rng.some(INTERESTS, 4)
    add = rng.pick(interests)
    had = {i for i in interests if i != add and rng.chance(0.4)}
    contact_default, contact = rng.some(CONTACT, 2)
    lang_default = rng.pick(LANGS)
    change_name = rng.chance(0.7)
    visible = rng.chance(0.5)
    nxt = rng.pick(words(SPLIT, "next"))
    step1 = [Field("display", rng.pick(("Display name", "Name shown to others", "Alias")),
                   value=new_name if change_name else old_name, default=old_name,
                   planned=change_name, required=True, what="the display name"),
             Field("city", rng.pick(words(SPLIT, "city")), value=new_city, default=old_city,
                   required=True, what="the place")]
    step2 = [Field("contact", rng.pick(("Preferred contact", "Reach me by", "Contact channel")),
                   "radio", value=contact, options=CONTACT, default=contact_default)]
    step2 += [Field(f"i{n}", name, "checkbox", value=name in had or name == add,
                    default=name in had, planned=name == add) for n, name in enumerate(interests)]
    step2.append(Field("lang", rng.pick(("Newsletter language", "Language for letters")),
                       "select", value=lang_default, options=LANGS, default=lang_default,
                       planned=False))
    step3 = [Field("visible", rng.pick(VISIBLE), "checkbox", value=visible, planned=visible)]
    steps = (("index.html", step1, "profile1", "step2.html", nxt),
             ("step2.html", step2, "profile2", "step3.html", nxt),
             ("step3.html", step3, "profile3", "done.html", rng.pick(PUBLISH)))

    shown_name = new_name if change_name else old_name
    def stepper(n: int) -> str:
        return " · ".join(("▶ " if i == n else "") + f"{i + 1}. {s}" for i, s in enumerate(STEPS))

    def page_fn(n: int) -> PageFn:
        name, fields, form, next_page, submit = steps[n]

        def render(q: Query) -> Doc:
            after = (("Back", steps[n - 1][0]),) if n else ()
            return form_page(look, FormPage(title=STEPS[n], heading=f"Edit profile — {STEPS[n]}",
                                            fields=tuple(fields), submit=submit, form=form,
                                            next_page=next_page, intro=stepper(n), after=after),
                             first=n == 0)
        return render

    def done(q: Query) -> Doc:
        return message_page(look, "Published", "Profile published",
                            ["Your changes are live.", f"Members now see you as {shown_name}."],
                            [("View profile", "profile.html")])

    pages = {steps[n][0]: page_fn(n) for n in range(3)}
    plan = Plan()
    for n, (name, fields, _, _, _) in enumerate(steps):
        d = pages[name]({})
        if n == 0:
            plan.cookie(name, d, look)
        plan.fill(name, d, fields)
        plan.submit(name, d, "This step is done")
    plan.stop("done.html", "", "The profile is published.")
    checks: list[Check] = []
    for _, fields, form, _, _ in steps:
        checks += checks_for(form, fields)
    checks.append(UrlCheck("done.html"))
    parts = []
    if change_name:
        parts.append(f"show my name as {new_name}")
    parts += [f"set my place to {new_city}", f"have people reach me by {contact.lower()}",
              f"add {add.lower()} to my interests"]
    if visible:
        parts.append("list me in the directory")
    listed = ", ".join(parts[:-1]) + " and " + parts[-1]
    intent = rng.pick(("Update my profile: {p}. Then publish it.",
                       "In the profile wizard, {p}; finish by publishing.",
                       "Please edit my member profile ({p}) and publish the result."
                       )).format(p=listed)
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {},
                          {"name": str(change_name), "visible": str(visible)}),
                {**pages, "done.html": done}, look)
