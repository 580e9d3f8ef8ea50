"""Wordings and page chrome, split by train / heldout.

Held-out families draw every shared concept (button texts, field labels, link words, layout
and chrome classes) from the HELDOUT lists, which share no entry with TRAIN: a student
measured on a held-out family meets the same skills in wordings and layouts it never saw.
"""

from __future__ import annotations

from types import MappingProxyType

from trainer.suites.synthetic.spec import Split

_TRAIN: dict[str, tuple[str, ...]] = {
    "next": ("Next", "Continue", "Save and continue", "Next step"),
    "submit": ("Submit", "Send", "Send message", "Send request"),
    "save": ("Save", "Save changes", "Apply", "Update settings"),
    "confirm": ("Confirm", "Yes", "OK", "Yes, continue"),
    "cancel": ("Cancel", "Never mind", "Go back", "No"),
    "email": ("Email", "E-mail address", "Your email", "Email address"),
    "name": ("Full name", "Name", "Your name"),
    "first": ("First name", "Given name"),
    "last": ("Last name", "Surname"),
    "password": ("Password", "Your password"),
    "phone": ("Phone", "Phone number", "Telephone"),
    "street": ("Street address", "Address line 1", "Street"),
    "city": ("City", "Town or city"),
    "postal": ("ZIP code", "Postal code", "Postcode"),
    "nav": ("Home", "Products", "About", "Help", "Blog", "Pricing", "Careers", "Support"),
    "footer": ("Privacy", "Terms", "Contact us", "Cookies", "Status", "Press"),
    "promo": ("Learn more", "Try it free", "See offers", "Get started"),
    "subscribe": ("Subscribe", "Join"),
    "layout": ("single", "two-col", "card", "wide"),
    "chrome": ("topnav", "sidebar", "plain", "topnav"),
    "cookie_accept": ("Accept all", "Allow cookies", "Accept", "I agree"),
    "cookie_reject": ("Reject all", "Only necessary", "Decline", "Reject non-essential"),
    "cookie_ok": ("Got it", "OK, understood"),
}

_HELDOUT: dict[str, tuple[str, ...]] = {
    "next": ("Proceed", "Go forward", "Onward", "Carry on"),
    "submit": ("Dispatch", "Lodge request", "File it", "Confirm and send"),
    "save": ("Store", "Keep changes", "Commit changes"),
    "confirm": ("Authorize", "Approve", "Agree and proceed"),
    "cancel": ("Abandon", "Not now", "Dismiss"),
    "email": ("Contact e-mail", "Mailbox", "Where can we reach you?", "Electronic mail"),
    "name": ("Name of the person", "Given and family name", "Who is this for?"),
    "first": ("Forename",),
    "last": ("Family name",),
    "password": ("Secret phrase", "Access passphrase"),
    "phone": ("Mobile number", "Daytime telephone", "Cell"),
    "street": ("House and street", "Residence"),
    "city": ("Municipality", "Locality"),
    "postal": ("Post number", "Mail code"),
    "nav": ("Overview", "Services", "Locations", "Accessibility", "Sitemap", "Press room"),
    "footer": ("Legal notice", "Imprint", "Data charter", "Feedback"),
    "promo": ("Discover", "Read the story", "Explore plans"),
    "subscribe": ("Keep me posted", "Sign me up"),
    "layout": ("split", "framed", "stacked"),
    "chrome": ("breadcrumb", "rail", "masthead"),
    "cookie_accept": ("Consent to all", "Fine by me"),
    "cookie_reject": ("Refuse optional", "Essential ones only"),
    "cookie_ok": ("Understood", "Close notice"),
}

VOCAB: MappingProxyType[str, MappingProxyType[str, tuple[str, ...]]] = MappingProxyType({
    "train": MappingProxyType(_TRAIN), "heldout": MappingProxyType(_HELDOUT)})


def words(split: Split, concept: str) -> tuple[str, ...]:
    return VOCAB[split][concept]
