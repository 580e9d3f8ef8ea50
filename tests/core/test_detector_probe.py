"""The red team's probe, one test per gap: strings the detector missed before (each checked
against the previous detector) that it must find now, and look-alikes that must stay
unflagged. Real presidio and the real spaCy model; a detector of its own (the shared
`detector` fixture's vault may be set by other tests)."""

from __future__ import annotations

import pytest

from core.privacy import patterns
from core.privacy.detector import PrivacyDetector, get_detector
from core.privacy.views import category_of

Case = tuple[str, str, str | None, str | None]  # where, text, value (None: a decoy), entity


@pytest.fixture(scope="module")
def clean() -> PrivacyDetector:
    return get_detector()


def _page(*lines: str) -> str:
    return "URL: https://shop.example/account\n" + "\n".join(
        f" [{i}] {line}" for i, line in enumerate(lines, 2))


def _check(detector: PrivacyDetector, where: str, text: str, value: str | None,
           entity: str | None) -> None:
    findings = [f for f in detector.scan(text, where) if not f.is_signal]  # type: ignore[arg-type]
    found = {(text[f.start:f.end], f.entity_type) for f in findings}
    if value is None:
        assert not found, f"decoy flagged: {found} in {text!r}"
    else:
        assert (value, entity) in found, f"{value!r} as {entity} not in {found}"


def _cases(positives: list[tuple[str, str, str, str]], decoys: list[tuple[str, str]]
           ) -> list[Case]:
    return [*positives, *((where, text, None, None) for where, text in decoys)]


# --- 1. passwords without a keyword, and in URL/form parameters -----------------------------

@pytest.mark.parametrize("where, text, value, entity", _cases([
    ("task", "Sign in to the router with admin / Zebra-Quartz-9931! and reboot it",
     "Zebra-Quartz-9931!", "PASSWORD"),
    ("task", "Use Plum#Kite48 for the Netflix account", "Plum#Kite48", "PASSWORD"),
    ("task", "Log into the portal as m.smith with Kestrel-Harbor-88", "Kestrel-Harbor-88",
     "PASSWORD"),
    ("observation", _page("StaticText 'Hi Sam, as discussed: R5rk6FMV#F*UKMx*6'"),
     "R5rk6FMV#F*UKMx*6", "PASSWORD"),
    ("task", "Go to https://bank.example/login?user=bob&pass=hunter2&next=/home", "hunter2",
     "PASSWORD"),
    # found before too (kept as regression checks): "pwd=" and "pin=" had patterns
    ("task", "Post user=alice pwd=letmein42 to the form", "letmein42", "PASSWORD"),
    ("task", "Open http://router.local/cgi?action=login&pin=4821", "4821", "PASSWORD"),
    ("observation", "URL: https://files.example/share?secret=s3cr3tpass&id=77\n[1] heading 'x'",
     "s3cr3tpass", "API_KEY"),
    ("task", "Update my profile: new password Xk2#pq9z, then log out", "Xk2#pq9z", "PASSWORD"),
], [
    ("task", "Compare the Galaxy-S24-Ultra with the iPhone-15-Pro!"),
    ("task", "Sign in and buy the Pixel-8a-128GB"),
    ("task", "Click Forgot password? and reset it by email"),
    ("task", "Enter your PIN at the terminal, then print the receipt"),
    ("observation", _page("link 'Forgot password?'", "StaticText 'Enter your PIN'",
                          "StaticText 'Password must be at least 8 characters.'")),
    ("task", "Follow @JaneDoe99 and #BlackFriday2024 on social"),
    ("observation", _page("StaticText 'Upload ID: aGVsbG8gd29ybGQgdGhpcyBpcyBhIHRlc3Q='")),
    ("task", "Open https://example.com/search?q=Zebra%20Quartz&page=2"),
]))
def test_passwords_without_keyword_and_in_parameters(
        clean: PrivacyDetector, where: str, text: str, value: str | None,
        entity: str | None) -> None:
    _check(clean, where, text, value, entity)


# --- 2. AWS secret keys and other API tokens --------------------------------------------------

AWS = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize("where, text, value, entity", _cases([
    ("task", f"aws secret {AWS}", AWS, "API_KEY"),
    ("task", f"AWS_SECRET_ACCESS_KEY={AWS}", AWS, "API_KEY"),
    ("observation", _page("StaticText 'Secret access key'", f"StaticText '{AWS}'"), AWS,
     "API_KEY"),
    ("task", "Publish with npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
     "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "API_KEY"),
    ("task", "Log in to Hugging Face using hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
     "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "API_KEY"),
    ("task", "Add SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq to it",
     "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq", "API_KEY"),
    ("task", "Twilio auth token 9f8e7d6c5b4a39281706f5e4d3c2b1a0: send the SMS",
     "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "API_KEY"),
    ("task", "Post to https://hooks.slack.com/services/T0AB12CD3/B0XY98ZW76/"
             "q1W2e3R4t5Y6u7I8o9P0a1S2",
     "https://hooks.slack.com/services/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",
     "API_KEY"),
    ("observation", _page("StaticText 'API key'", "StaticText 'Zq8xV2mK9pL4nR7tY1wB5cF3'"),
     "Zq8xV2mK9pL4nR7tY1wB5cF3", "API_KEY"),
], [
    ("task", "Check out commit 3f786850e387550fdab836ed7e6dc881de23001b and run the tests"),
    ("observation", _page("StaticText 'Request ID 123e4567-e89b-12d3-a456-426614174000'")),
    ("task", "Open the API key settings and create a new token"),
    ("task", "the token expired yesterday"),
    ("observation", _page("textbox 'Wi-Fi network key' value=''")),
]))
def test_aws_secrets_and_api_tokens(clean: PrivacyDetector, where: str, text: str,
                                    value: str | None, entity: str | None) -> None:
    _check(clean, where, text, value, entity)


# --- 3. IBANs in lower case or grouped -------------------------------------------------------

@pytest.mark.parametrize("where, text, value, entity", _cases([
    ("task", "wire to gb82 west 1234 5698 7654 32 and more", "gb82 west 1234 5698 7654 32",
     "IBAN_CODE"),
    ("task", "iban de89-3704-0044-0532-0130-00.", "de89-3704-0044-0532-0130-00", "IBAN_CODE"),
    ("observation", _page("StaticText 'Beneficiary'", "StaticText 'fr1420041010050500013m02606'"),
     "fr1420041010050500013m02606", "IBAN_CODE"),
], [
    ("task", "Reference DE89 3704 0044 0532 0130 01 on the invoice is wrong"),  # bad checksum
    ("observation", _page("StaticText 'Invoice reference GB83 WEST 1234 5698 7654 32'")),
]))
def test_ibans_in_any_case(clean: PrivacyDetector, where: str, text: str, value: str | None,
                           entity: str | None) -> None:
    _check(clean, where, text, value, entity)


# --- 4. card numbers with dots or split over elements ----------------------------------------

SPLIT = _page("StaticText 'Card number'", "StaticText '4111'", "StaticText '1111'",
              "StaticText '1111'", "StaticText '1111'")
SPLIT_FIELDS = _page(*(f"textbox 'Digits {4 * i - 3}-{4 * i}' value='{g}'"
                       for i, g in enumerate(("5555", "5555", "5555", "4444"), 1)))


@pytest.mark.parametrize("where, text, value, entity", _cases([
    ("task", "Pay with card 4111.1111.1111.1111, expiry 04/27", "4111.1111.1111.1111",
     "CREDIT_CARD"),
    ("observation", _page("StaticText 'Saved card 5555.5555.5555.4444 (expires 09/28)'"),
     "5555.5555.5555.4444", "CREDIT_CARD"),
    ("observation", SPLIT, "4111", "CREDIT_CARD"),
    ("observation", SPLIT_FIELDS, "4444", "CREDIT_CARD"),
], [
    ("task", "Is gift card 1206 8155 1262 4805 still valid?"),
    ("observation", _page("StaticText 'Version 4111.1111.1111.1112'")),
    ("observation", _page("StaticText '2019'", "StaticText '2020'", "StaticText '2021'",
                          "StaticText '2022'")),
    ("task", "Track FedEx 7489 2750 1234 5678"),
]))
def test_cards_with_dots_or_split(clean: PrivacyDetector, where: str, text: str,
                                  value: str | None, entity: str | None) -> None:
    _check(clean, where, text, value, entity)


def test_a_split_card_is_one_finding_per_group(clean: PrivacyDetector) -> None:
    cards = [f for f in clean.scan(SPLIT, "observation") if f.entity_type == "CREDIT_CARD"]
    assert [SPLIT[f.start:f.end] for f in cards] == ["4111", "1111", "1111", "1111"]


# --- 5. SSNs with spaces next to their label -------------------------------------------------

@pytest.mark.parametrize("where, text, value, entity", _cases([
    ("task", "my SSN is 078 05 1120", "078 05 1120", "US_SSN"),
    ("task", "SSN: 078.05.1120 for the tax form", "078.05.1120", "US_SSN"),
    ("observation", _page("StaticText 'Social Security Number'", "StaticText '078 05 1120'"),
     "078 05 1120", "US_SSN"),
], [
    ("task", "ssn 123 45 678 is too short"),
    ("observation", _page("StaticText 'Meeting ID 845 2910 3345'")),
]))
def test_spaced_ssns(clean: PrivacyDetector, where: str, text: str, value: str | None,
                     entity: str | None) -> None:
    _check(clean, where, text, value, entity)


# --- 6. non-US birth dates and addresses -----------------------------------------------------

@pytest.mark.parametrize("where, text, value, entity", _cases([
    ("task", "Geburtsdatum: 03.04.1988", "03.04.1988", "DATE_OF_BIRTH"),
    ("task", "DOB 1988/04/03", "1988/04/03", "DATE_OF_BIRTH"),
    ("task", "I was born 12 März 1990 in Hamburg", "12 März 1990", "DATE_OF_BIRTH"),
    ("task", "date de naissance : 12 mars 1990", "12 mars 1990", "DATE_OF_BIRTH"),
    ("task", "fecha de nacimiento: 12 de marzo de 1990", "12 de marzo de 1990",
     "DATE_OF_BIRTH"),
    ("observation", _page("textbox 'Geburtsdatum' value='03.04.1988'"), "03.04.1988",
     "DATE_OF_BIRTH"),
    ("task", "send it to Hauptstraße 12, 10115 Berlin", "Hauptstraße 12, 10115 Berlin",
     "LOCATION"),
    ("task", "ship to 12 rue de la Paix, 75002 Paris", "12 rue de la Paix, 75002 Paris",
     "LOCATION"),
    ("task", "ship to 221B Baker Street, London NW1 6XE", "221B Baker Street, London NW1 6XE",
     "LOCATION"),
    ("observation", _page("StaticText 'Adresse: Unter den Linden 77, 10117 Berlin'"),
     "Unter den Linden 77, 10117 Berlin", "LOCATION"),
], [
    ("observation", _page("StaticText 'Order date: 03.04.2024'",
                          "StaticText 'Delivered 12. März 2024'")),
    ("task", "What did I order on 2024-03-04?"),
    ("task", "Find a hotel near Bahnhofstraße in Berlin"),
    ("task", "Meet at Alexanderplatz 5 minutes before"),
    ("observation", _page("StaticText 'Stores in Berlin, Paris and London'",
                          "link 'Spring 2024 collection'")),
]))
def test_foreign_birth_dates_and_addresses(clean: PrivacyDetector, where: str, text: str,
                                           value: str | None, entity: str | None) -> None:
    _check(clean, where, text, value, entity)


# --- 7. medical data -------------------------------------------------------------------------

@pytest.mark.parametrize("where, text, value, entity", _cases([
    ("task", "I was diagnosed with type 2 diabetes, find a support group", "type 2 diabetes",
     "MEDICAL"),
    ("task", "Add metformin 500 mg to my medication list", "metformin 500 mg", "MEDICAL"),
    ("task", "Refill my Xanax prescription", "Xanax", "MEDICAL"),
    ("observation", _page("StaticText 'Diagnosis: Generalized anxiety disorder'"),
     "Generalized anxiety disorder", "MEDICAL"),
    ("observation", _page("StaticText 'Condition'", "StaticText 'Ehlers-Danlos syndrome'"),
     "Ehlers-Danlos syndrome", "MEDICAL"),
], [
    ("task", "Search for diabetes-friendly recipes and cancer research charities"),
    ("task", "Buy ibuprofen 200 mg and vitamin D3 1000 IU"),
    ("observation", _page("link 'Diabetes Awareness Month'", "link 'Cancer Research UK'")),
    ("task", "I need to improve my stroke before the race"),
    ("observation", _page("StaticText 'Living with diabetes: a guide'")),
]))
def test_medical_data(clean: PrivacyDetector, where: str, text: str, value: str | None,
                      entity: str | None) -> None:
    _check(clean, where, text, value, entity)


def test_medical_findings_are_health(clean: PrivacyDetector) -> None:
    found = [f for f in clean.scan("I take lithium 300 mg daily", "task")
             if f.entity_type == "MEDICAL"]
    assert found and found[0].category == category_of("MEDICAL") == "health"


# --- 8. names in Cyrillic, Chinese and Arabic script -----------------------------------------

@pytest.mark.parametrize("where, text, value, entity", _cases([
    ("task", "Email Иван Петров about the invoice", "Иван Петров", "PERSON"),
    ("observation", _page("StaticText 'От: Смирнова Анна'"), "Смирнова Анна", "PERSON"),
    ("task", "Send the report to 王小明 by Friday", "王小明", "PERSON"),
    ("observation", _page("StaticText '收件人：李娜'"), "李娜", "PERSON"),
    ("task", "Call محمد أحمد tomorrow", "محمد أحمد", "PERSON"),
], [
    ("observation", _page("link 'Главная'", "link 'Войти в аккаунт'",
                          "StaticText 'Российская Федерация'")),
    ("observation", _page("link '首页'", "link '高级设置'", "StaticText '周末特价'")),
    ("observation", _page("link 'الصفحة الرئيسية'", "button 'تسجيل الدخول'")),
]))
def test_names_in_other_scripts(clean: PrivacyDetector, where: str, text: str,
                                value: str | None, entity: str | None) -> None:
    _check(clean, where, text, value, entity)


# --- 9. names in field values, placeholders and alt texts ------------------------------------

@pytest.mark.parametrize("where, text, value, entity", _cases([
    ("observation", _page("textbox 'Full name' value='Maria Garcia'"), "Maria Garcia",
     "PERSON"),
    ("observation", _page("textbox 'Cardholder' placeholder='Jonathan Smith'"),
     "Jonathan Smith", "PERSON"),
    ("observation", _page("combobox 'Assignee' value='Vickie Cooper'"), "Vickie Cooper",
     "PERSON"),
], [
    ("observation", _page("textbox 'Full name' placeholder='e.g. Jane Doe'")),
    ("observation", _page("textbox 'Search' value='Maria Garcia biography'")),
    ("observation", _page("textbox 'Name your playlist' value='Chill Vibes 2024'")),
]))
def test_names_in_name_fields(clean: PrivacyDetector, where: str, text: str,
                              value: str | None, entity: str | None) -> None:
    _check(clean, where, text, value, entity)


def test_ner_on_field_texts_is_an_option() -> None:
    page = _page("img 'Photo of Robert Reynolds'", "StaticText 'Robert Reynolds wrote a post'")
    default = get_detector()
    fields = get_detector(ner_on_fields=True)
    assert default.ner_on_fields is False
    assert not [f for f in default.scan(page, "observation") if f.entity_type == "PERSON"]
    found = [page[f.start:f.end] for f in fields.scan(page, "observation")
             if f.entity_type == "PERSON"]
    assert found == ["Robert Reynolds"]  # the alt text; the prose line is not read


# --- 10. percent-encoding inside text --------------------------------------------------------

@pytest.mark.parametrize("where, text, value, entity", _cases([
    ("task", "Open https://shop.example/track?email=jane.doe%40example.com&order=123",
     "jane.doe%40example.com", "EMAIL_ADDRESS"),
    ("observation", _page("link 'https://crm.example/contact?mail=li.na%40example.org'"),
     "li.na%40example.org", "EMAIL_ADDRESS"),
], [
    ("observation", _page("StaticText 'Save 50%25 today only'")),
]))
def test_percent_encoded_values(clean: PrivacyDetector, where: str, text: str,
                                value: str | None, entity: str | None) -> None:
    _check(clean, where, text, value, entity)


def test_percent_decoding_maps_spans_back() -> None:
    text = "a?x=%E2%82%AC5&e=jo%40b.example"
    decoded, offsets = patterns.percent_decoded(text)  # type: ignore[misc]
    assert decoded == "a?x=€5&e=jo@b.example"
    at = decoded.index("@")
    assert text[offsets[at]:offsets[at + 1]] == "%40"
    assert text[offsets[decoded.index("€")]:offsets[decoded.index("5")]] == "%E2%82%AC"
    assert offsets[len(decoded)] == len(text)
    assert patterns.percent_decoded("nothing encoded, 100% sure") is None
