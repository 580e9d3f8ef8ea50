"""Wordings and page chrome, split by train / heldout.

Held-out families draw every shared concept (button texts, field labels, link words, layout
and chrome classes) from the HELDOUT lists, which share no entry with TRAIN: a student
measured on a held-out family meets the same skills in wordings and layouts it never saw.
The training lists are the wider ones (4 or more words a concept, from distill-data-v22 on):
a student that meets several wordings of every concept learns to match the task to the page
rather than a few memorised button names. Adding a word changes which word a seed draws.
"""

from __future__ import annotations

from types import MappingProxyType

from trainer.suites.synthetic.spec import Split

_TRAIN: dict[str, tuple[str, ...]] = {
    "next": ("Next", "Continue", "Save and continue", "Next step",
             "Keep going", "Move on", "Go on", "Continue to next step"),
    "submit": ("Submit", "Send", "Send message", "Send request",
               "Post", "Send now", "Submit form", "Done"),
    "save": ("Save", "Save changes", "Apply", "Update settings",
             "Save preferences", "Update", "Save now", "Apply changes"),
    "confirm": ("Confirm", "Yes", "OK", "Yes, continue",
                "I'm sure", "Yes, please", "Go ahead", "OK, confirm"),
    "cancel": ("Cancel", "Never mind", "Go back", "No",
               "Leave it", "Skip", "Stop", "Cancel request"),
    "email": ("Email", "E-mail address", "Your email", "Email address",
              "Work email", "Your e-mail", "E-mail", "Email ID"),
    "name": ("Full name", "Name", "Your name",
             "Your full name", "Contact name", "Full legal name"),
    "first": ("First name", "Given name",
              "Your first name", "First"),
    "last": ("Last name", "Surname",
             "Your last name", "Last"),
    "password": ("Password", "Your password",
                 "Account password", "Enter password", "Login password"),
    "phone": ("Phone", "Phone number", "Telephone",
              "Phone no.", "Contact number", "Tel.", "Your phone"),
    "street": ("Street address", "Address line 1", "Street",
               "Address", "Street name", "Street line"),
    "city": ("City", "Town or city",
             "Town", "City / town", "Your city"),
    "postal": ("ZIP code", "Postal code", "Postcode",
               "ZIP", "Post code", "ZIP / Postal"),
    "nav": ("Home", "Products", "About", "Help", "Blog", "Pricing", "Careers", "Support",
            "Catalog", "News", "Features", "Docs", "Community", "Partners", "Events"),
    "footer": ("Privacy", "Terms", "Contact us", "Cookies", "Status", "Press",
               "Terms of use", "Cookie settings", "Security", "Jobs", "Investors"),
    "promo": ("Learn more", "Try it free", "See offers", "Get started",
              "Shop now", "Claim offer", "Start trial", "View deals"),
    "subscribe": ("Subscribe", "Join",
                  "Get updates", "Notify me", "Stay in touch"),
    "layout": ("single", "two-col", "card", "wide"),
    "chrome": ("topnav", "sidebar", "plain", "topnav"),
    "cookie_accept": ("Accept all", "Allow cookies", "Accept", "I agree",
                      "Accept cookies", "Allow all", "Yes, accept"),
    "cookie_reject": ("Reject all", "Only necessary", "Decline", "Reject non-essential",
                      "Deny", "Reject cookies", "Use necessary cookies only"),
    "cookie_ok": ("Got it", "OK, understood",
                  "Okay", "Thanks", "Noted"),
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
