"""Newsletter, contact and support forms: text, email, textarea, selects, checkboxes, radios."""

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
from trainer.suites.synthetic.spec import UrlCheck
from trainer.suites.synthetic.vocab import words
from trainer.suites.synthetic.words import Rng

FAMILY, SPLIT = "contact", "train"
SUMMARY = "newsletter / contact / support forms with textarea, select, checkboxes and radios"

TOPICS = ("Product news", "Events", "Recipes", "Travel deals", "Gardening tips", "Local stories")
FREQUENCY = ("Daily", "Weekly", "Monthly")
SUBJECTS = ("General question", "Billing", "Partnership", "Press inquiry", "Feedback")
CATEGORIES = ("Order problem", "Account access", "Refund", "Technical issue", "Delivery")
PRIORITY = ("Low", "Normal", "High", "Urgent")
MESSAGES = ("My parcel arrived with a broken lid.", "Please update the address on my account.",
            "Do you ship to Norvania?", "The app logs me out every hour.",
            "I was charged twice for one order.", "Can I change the delivery date?",
            "Where can I find the user manual?", "I would like a copy of my last invoice.")
KINDS = ("newsletter", "contact", "support")


def _newsletter(rng: Rng, email: str, name: str) -> tuple[list[Field], str, str]:
    topics = rng.some(TOPICS, rng.randint(3, 5))
    wanted = rng.some(topics, rng.randint(1, 2))
    freq = rng.pick(FREQUENCY[1:])  # the first frequency is the default: the task changes it
    fields = [Field("email", rng.pick(words(SPLIT, "email")), "email", value=email,
                    required=True, autocomplete="email", what="the email address")]
    if rng.chance(0.5):
        fields.append(Field("name", rng.pick(("First name", "Name (optional)", "What should we "
                                              "call you?")), value=name.split()[0],
                            what="the name"))
    fields += [Field(f"topic{i}", t, "checkbox", value=t in wanted, planned=t in wanted)
               for i, t in enumerate(topics)]
    fields.append(Field("frequency", rng.pick(("How often?", "Frequency", "Send me emails")),
                        "radio", value=freq, options=FREQUENCY, default=FREQUENCY[0]))
    has_name = any(f.key == "name" for f in fields)
    intent = rng.pick((
        "Subscribe {email} to the newsletter about {topics}, {freq}.",
        "Sign me up for {topics} emails at {email}; I want them {freq}.",
        "Please put {email} on the {topics} mailing list with {freq} delivery.",
    )).format(email=email, topics=" and ".join(wanted), freq=freq.lower())
    if has_name:
        intent += f" My first name is {name.split()[0]}."
    return fields, intent, rng.pick(("Subscribe", "Sign up", "Join the list", "Count me in"))


def _contact(rng: Rng, email: str, name: str) -> tuple[list[Field], str, str]:
    subject = rng.pick(SUBJECTS)
    message = rng.pick(MESSAGES)
    fields = [Field("name", rng.pick(words(SPLIT, "name")), value=name, required=True,
                    autocomplete="name", what="the name"),
              Field("email", rng.pick(words(SPLIT, "email")), "email", value=email,
                    required=True, autocomplete="email", what="the email address"),
              Field("subject", rng.pick(("Subject", "Topic", "What is it about?")), "select",
                    value=subject, options=SUBJECTS, placeholder_option="Choose a topic",
                    required=True),
              Field("message", rng.pick(("Message", "Your message", "How can we help?")),
                    "textarea", value=message, required=True, what="the message")]
    copy = rng.pick(("", "", "leave", "tick"))
    if copy:
        fields.append(Field("copy", rng.pick(("Send me a copy", "Email me a copy")), "checkbox",
                            value=copy == "tick", planned=copy == "tick"))
    intent = rng.pick((
        "Send a message to {brand} as {name} ({email}) about '{subject}': {message}",
        "Use the contact form: name {name}, email {email}, topic {subject}, message \"{message}\"",
        "Contact them for me. I'm {name}, {email}. Topic: {subject}. Say: {message}",
    ))
    if copy == "tick":
        intent += " I want a copy of the message."
    return fields, intent.format(name=name, email=email, subject=subject, message=message,
                                 brand="{brand}"), rng.pick(words(SPLIT, "submit"))


def _support(rng: Rng, email: str, name: str) -> tuple[list[Field], str, str]:
    category = rng.pick(CATEGORIES)
    priority = rng.pick(PRIORITY[1:])
    message = rng.pick(MESSAGES)
    order = f"{rng.pick('ABCDEFGHJK')}{rng.digits(6)}"
    fields = [Field("email", rng.pick(words(SPLIT, "email")), "email", value=email,
                    required=True, autocomplete="email", what="the email address"),
              Field("category", rng.pick(("Category", "Issue type", "What went wrong?")),
                    "select", value=category, options=CATEGORIES,
                    placeholder_option="Pick a category", required=True),
              Field("order", rng.pick(("Order number", "Order # (if any)", "Order ID")),
                    value=order, what="the order number", hint="e.g. A123456"),
              Field("priority", "Priority", "radio", value=priority, options=PRIORITY,
                    default=PRIORITY[0]),
              Field("details", rng.pick(("Describe the problem", "Details", "Description")),
                    "textarea", value=message, required=True, what="the description")]
    intent = rng.pick((
        "Open a support ticket from {email}: category {category}, order {order}, {priority} "
        "priority. Problem: {message}",
        "File a {priority}-priority {category} request about order {order} (my email is "
        "{email}): {message}",
        "Can you report this to support? {message} It's about order {order}; category "
        "{category}; priority {priority}; contact {email}.",
    )).format(email=email, category=category, order=order, priority=priority.lower(),
              message=message)
    return fields, intent, rng.pick(("Submit ticket", "Send request", "Create ticket"))


def build(seed: int) -> Site:
    rng = Rng(FAMILY, seed)
    look = chrome.draw_look(rng, FAMILY, seed, SPLIT)
    first, last = rng.person()
    email = rng.email(first, last)
    kind = rng.pick(KINDS)
    maker = {"newsletter": _newsletter, "contact": _contact, "support": _support}[kind]
    fields, intent, submit = maker(rng, email, f"{first} {last}")
    intent = intent.replace("{brand}", look.brand)
    heading = {"newsletter": ("Stay in the loop", "Newsletter", "Get our emails"),
               "contact": ("Contact us", "Get in touch", "Write to us"),
               "support": ("Support request", "Help center", "Report a problem")}[kind]
    page_spec = FormPage(title=heading[0], heading=rng.pick(heading), fields=tuple(fields),
                         submit=submit, form=kind, next_page="thanks.html",
                         intro=rng.pick(("", "We usually answer within two working days.",
                                         "All fields marked * are required.")))

    def index(q: Query) -> Doc:
        return form_page(look, page_spec, first=True)

    thanks_heading = rng.pick(("Thank you!", "Message received", "All set"))
    ref = rng.code(2, 5)

    def thanks(q: Query) -> Doc:
        return message_page(look, "Thank you", thanks_heading, ["We received your request.",
                                                                f"Reference: {ref}"],
                            [("Back to the start", "index.html")])
    plan = Plan()
    d = index({})
    plan.cookie("index.html", d, look)
    plan.fill("index.html", d, fields)
    plan.submit("index.html", d, "The form is filled in")
    plan.stop("thanks.html", "", "The request was sent.")
    checks = checks_for(kind, fields) + [UrlCheck("thanks.html")]
    return Site(make_spec(FAMILY, seed, SPLIT, intent, plan, checks, {}, {"kind": kind}),
                {"index.html": index, "thanks.html": thanks}, look)
