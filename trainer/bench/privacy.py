"""Privacy detector benchmark: precision/recall per entity type, and scan latency.

    python -m trainer.bench.privacy [--split test|tune] [--corpus all|faker|credentials|pages|probe]
                                 [--samples 600] [--pages 60] [--per-template 6]
                                 [--ner-entities PERSON] [--ner-on-observation]
                                 [--ner-on-fields] [--errors]

Corpora (all seeded):
- presidio-evaluator's PresidioSentenceFaker sentences (task-like text, scanned as "task").
  Its 209 templates are shuffled and halved: thresholds and entity choices were tuned on the
  "tune" half, figures are reported on the "test" half.
- credential sentences (passwords, OTPs, API keys, and decoys like "reset my password"),
  templates halved the same way (privacy_data.py).
- observation-like pages in the real line format (shop listing, checkout form, inbox, email,
  account settings, login page), scanned as "observation"; tune and test use other seeds.
- the probe: the red team's ten gaps (keyword-less and URL-parameter passwords, AWS secrets
  and API tokens, lower-case/grouped IBANs, dotted and split card numbers, spaced SSNs,
  foreign birth dates and addresses, health data, names in other scripts, names in fields,
  percent-encoding), the existing types, and decoys (order numbers, SKUs, tracking codes,
  prices, versions, UI words, order dates, product codes, cities, topics), each as task text
  and as observation lines; each gap's templates are halved into tune and test.
  `--errors` prints every false positive and negative.

Figures (test split, seed 7, 2 cores shared with a training run):
- probe: credentials, secrets and payment (PASSWORD, API_KEY, PRIVATE_KEY, OTP, VAULT_SECRET,
  CREDIT_CARD, CARD_CVV, IBAN_CODE, US_BANK_NUMBER) R 100% P 100% in task text (132 gold)
  and on observation lines (150 gold); all targeted R 99.6% P 97.4% (task: 6 NER PERSON on
  the German word "Formular", a phone on a tracking number) and R 97.9% P 99.6%
  (observation: names in image alt texts, 6 of 42, are left to the off-by-default
  `--ner-on-fields`, which finds them). Every gap R 100% except names in fields (75%).
- faker sentences P 89.6%, R 54.2% (PERSON P 82.1% R 61.6%; cards R 91.5%; phones R 53.4% on
  faker's international formats; street addresses now also in German, French, Spanish and
  Italian forms); credential sentences P 100%, R 100%; observation pages P 100%, R 52.3%
  (person names in inbox prose are not looked for: PERSON R 5.6%; everything else 95-100%).
- latency, on the busy box: observation scan p50 9.0 ms / p95 16.3 ms per ~1.5 KB page
  (2.6 ms / 3.9 ms before the probe's recognizers on an idle box; ~1.0-1.3x the previous
  detector side by side under the same load), ~17 ms per ~3 KB, 250 ms at most for 40 KB.

A prediction is correct when it overlaps a gold span of a compatible type. R(typed) needs the
right type; R(any) counts a gold span covered by any finding, which is what redaction needs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import random
import statistics
import time
import warnings
from collections import Counter
from collections.abc import Sequence

from core.privacy.detector import FIELDS_NER_SOURCE, NER_ENTITIES, PrivacyDetector
from core.privacy.views import Where
from trainer.bench.privacy_data import (
    CREDENTIAL_DECOYS,
    CREDENTIAL_TEMPLATES,
    PROBE_GAPS,
    PROBE_VAULT,
    Labelled,
    credential_sentences,
    probe_samples,
    web_pages,
)

# Predicted type -> gold types it may match (besides its own). Rows of the table are gold types
# for recall and predicted types for precision.
ALSO_MATCHES = {"DATE_OF_BIRTH": {"DATE_TIME"}, "LOCATION": {"STREET_ADDRESS", "GPE", "ZIP_CODE"}}
# Cities, states, countries and ZIP codes alone are not private (a flight search names cities);
# only form fields marked as address parts flag them.
NOT_TARGETED = {"ORGANIZATION", "TITLE", "NRP", "AGE", "DATE_TIME", "US_DRIVER_LICENSE",
                "DOMAIN_NAME", "CARD_EXPIRY", "GPE", "ZIP_CODE"}
# The types the targets are set for: recall >= 98% at precision >= 95% on the probe's test split.
KEY_TYPES = ("PASSWORD", "API_KEY", "PRIVATE_KEY", "OTP", "VAULT_SECRET", "CREDIT_CARD",
             "CARD_CVV", "IBAN_CODE", "US_BANK_NUMBER")
CORPORA = ("faker", "credentials", "pages", "probe")


def _split(items: Sequence[str], seed: int, split: str) -> list[str]:
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    half = len(shuffled) // 2
    return shuffled[half:] if split == "test" else shuffled[:half]


def faker_sentences(split: str, n: int, seed: int) -> list[Labelled]:
    # presidio-evaluator prints progress and deprecation notes; keep the table readable.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from presidio_evaluator.data_generator import PresidioSentenceFaker
        from presidio_evaluator.data_generator.presidio_sentence_faker import (
            presidio_templates_file_path,
        )
        templates = [t.strip() for t in presidio_templates_file_path.read_text().splitlines()
                     if t.strip()]
        faker = PresidioSentenceFaker("en_US", lower_case_ratio=0.05,
                                      sentence_templates=_split(templates, seed, split),
                                      random_seed=seed)
        samples = faker.generate_new_fake_sentences(n)
    return [Labelled(s.full_text, [(sp.start_position, sp.end_position, sp.entity_type)
                                   for sp in s.spans], "faker") for s in samples]


def evaluate(detector: PrivacyDetector, corpus: list[Labelled], where: Where | None,
             counts: Counter[tuple[str, str]], latencies: list[float],
             by_kind: dict[str, Counter[str]] | None = None, show_errors: bool = False) -> None:
    """Scan each sample (as `where`, or as the "…/task" or "…/observation" its kind names)
    and count per type: gold, recalled (typed / any finding), predicted, true positives.
    `by_kind` gets the same per sample kind (gold, typed, pred, fp)."""
    for sample in corpus:
        scope: Where = where or sample.kind.rsplit("/", 1)[-1]  # type: ignore[assignment]
        t0 = time.perf_counter()
        findings = [f for f in detector.scan(sample.text, scope) if not f.is_signal]
        latencies.append((time.perf_counter() - t0) * 1000)
        gold = sample.spans
        kind = by_kind.setdefault(sample.kind, Counter()) if by_kind is not None else Counter()
        for f in findings:
            ok = {f.entity_type} | ALSO_MATCHES.get(f.entity_type, set())
            counts[(f.entity_type, "pred")] += 1
            counts[("source:" + f.source, "pred")] += 1
            kind["pred"] += 1
            if any(f.start < e and s < f.end and t in ok for s, e, t in gold):
                counts[(f.entity_type, "tp")] += 1
                counts[("source:" + f.source, "tp")] += 1
            else:
                kind["fp"] += 1
                if show_errors:
                    print(f"  FP {f.entity_type:<14} {sample.text[f.start:f.end]!r:<40} "
                          f"[{sample.kind}] {f.source}")
        for s, e, t in gold:
            counts[(t, "gold")] += 1
            kind["gold"] += 1
            hits = [f for f in findings if f.start < e and s < f.end]
            typed = any(t == f.entity_type or t in ALSO_MATCHES.get(f.entity_type, set())
                        for f in hits)
            counts[(t, "any")] += bool(hits)
            counts[(t, "typed")] += typed
            kind["typed"] += typed
            if show_errors and not typed:
                print(f"  FN {t:<14} {sample.text[s:e]!r:<40} [{sample.kind}] got "
                      f"{[f.entity_type for f in hits]}")


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:5.1f}" if den else "    -"


def print_table(title: str, counts: Counter[tuple[str, str]]) -> None:
    print(f"\n{title}")
    print(f"{'entity':<18}{'gold':>6}{'R typed':>9}{'R any':>8}{'pred':>7}{'P':>7}")
    types = sorted({t for t, _ in counts if not t.startswith("source:")})
    for t in types:
        gold, pred = counts[(t, "gold")], counts[(t, "pred")]
        note = "  (not targeted)" if t in NOT_TARGETED else ""
        print(f"{t:<18}{gold:>6}{_pct(counts[(t, 'typed')], gold):>9}"
              f"{_pct(counts[(t, 'any')], gold):>8}{pred:>7}"
              f"{_pct(counts[(t, 'tp')], pred):>7}{note}")
    targeted = [t for t in types if t not in NOT_TARGETED]
    tp = sum(counts[(t, "tp")] for t in targeted)
    pred = sum(counts[(t, "pred")] for t in targeted)
    gold = sum(counts[(t, "gold")] for t in targeted)
    typed = sum(counts[(t, "typed")] for t in targeted)
    print(f"{'all targeted':<18}{gold:>6}{_pct(typed, gold):>9}"
          f"{_pct(sum(counts[(t, 'any')] for t in targeted), gold):>8}{pred:>7}"
          f"{_pct(tp, pred):>7}")
    fields = f"source:{FIELDS_NER_SOURCE}"
    if counts[(fields, "pred")]:
        print(f"{'  of which NER on field texts':<32}{counts[(fields, 'pred')]:>7}"
              f"{_pct(counts[(fields, 'tp')], counts[(fields, 'pred')]):>7}")


def print_key_types(counts: Counter[tuple[str, str]]) -> None:
    """Recall and precision over the credential, secret and payment types together."""
    tp = sum(counts[(t, "tp")] for t in KEY_TYPES)
    pred = sum(counts[(t, "pred")] for t in KEY_TYPES)
    gold = sum(counts[(t, "gold")] for t in KEY_TYPES)
    typed = sum(counts[(t, "typed")] for t in KEY_TYPES)
    print(f"{'credentials+payment':<18}{gold:>6}{_pct(typed, gold):>9}{'':>8}{pred:>7}"
          f"{_pct(tp, pred):>7}   (target: R >= 98, P >= 95)")


def print_gaps(by_kind: dict[str, Counter[str]]) -> None:
    print(f"\n{'probe gap':<16}{'form':<13}{'gold':>6}{'R typed':>9}{'pred':>7}{'FP':>5}")
    for gap in PROBE_GAPS:
        for where in ("task", "observation"):
            row = by_kind.get(f"{gap}/{where}")
            if row is None:
                continue
            print(f"{gap:<16}{where:<13}{row['gold']:>6}{_pct(row['typed'], row['gold']):>9}"
                  f"{row['pred']:>7}{row['fp']:>5}")


def _latency_line(name: str, latencies: list[float], sizes: list[int]) -> str:
    q = statistics.quantiles(latencies, n=20)
    return (f"{name:<24} n={len(latencies):<4} chars≈{statistics.mean(sizes):6.0f}  "
            f"p50={statistics.median(latencies):6.1f} ms  p95={q[18]:6.1f} ms")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("test", "tune"), default="test")
    parser.add_argument("--corpus", choices=("all", *CORPORA), default="all")
    parser.add_argument("--samples", type=int, default=600, help="faker sentences")
    parser.add_argument("--pages", type=int, default=60, help="observation pages")
    parser.add_argument("--per-template", type=int, default=6, help="probe texts per template")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ner-entities", default=",".join(NER_ENTITIES),
                        help="NER entity types (comma-separated; empty for none)")
    parser.add_argument("--ner-on-observation", action="store_true")
    parser.add_argument("--ner-on-fields", action="store_true",
                        help="NER on an observation's field values, placeholders, alt texts")
    parser.add_argument("--errors", action="store_true", help="print each FP and FN")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    corpora = CORPORA if args.corpus == "all" else (args.corpus,)

    t0 = time.perf_counter()
    detector = PrivacyDetector(ner_entities=[e for e in args.ner_entities.split(",") if e],
                               ner_on_observation=args.ner_on_observation,
                               ner_on_fields=args.ner_on_fields)
    build_s = time.perf_counter() - t0
    offset = 0 if args.split == "tune" else 1000
    pages = web_pages(args.pages, args.seed + offset)
    for page in pages[:3]:  # warm-up: first calls compile regexes and fill caches
        detector.scan(page.text, "observation")

    print(f"privacy bench: split={args.split} seed={args.seed} ner={detector.ner_entities} "
          f"ner_on_observation={args.ner_on_observation} ner_on_fields={args.ner_on_fields} "
          f"model_loaded={detector.has_ner} build={build_s:.1f}s")
    task_lat: list[float] = []
    obs_lat: list[float] = []
    task_sizes: list[int] = []
    counts: Counter[tuple[str, str]] = Counter()
    if "faker" in corpora:
        sentences = faker_sentences(args.split, args.samples, args.seed)
        task_sizes += [len(s.text) for s in sentences]
        evaluate(detector, sentences, "task", counts, task_lat)
        print_table(f"PresidioSentenceFaker, {len(sentences)} sentences ({args.split} "
                    f"templates)", counts)
    if "credentials" in corpora:
        credentials = credential_sentences(
            _split(CREDENTIAL_TEMPLATES, args.seed, args.split)
            + _split(CREDENTIAL_DECOYS, args.seed, args.split), args.samples // 3,
            args.seed + offset)
        task_sizes += [len(s.text) for s in credentials]
        counts = Counter()
        evaluate(detector, credentials, "task", counts, task_lat, show_errors=args.errors)
        print_table(f"Credential sentences, {len(credentials)} ({args.split} templates, "
                    f"with decoys)", counts)
    if "pages" in corpora:
        counts = Counter()
        evaluate(detector, pages, "observation", counts, obs_lat, show_errors=args.errors)
        print_table(f"Observation pages, {len(pages)} "
                    f"({', '.join(sorted({p.kind for p in pages}))})", counts)
    if "probe" in corpora:
        probe = probe_samples(args.split, args.seed + offset, args.per_template)
        detector.vault_values = lambda: PROBE_VAULT
        by_kind: dict[str, Counter[str]] = {}
        for where in ("task", "observation"):
            counts = Counter()
            part = [p for p in probe if p.kind.endswith("/" + where)]
            evaluate(detector, part, where, counts, [], by_kind, show_errors=args.errors)
            print_table(f"Probe, {where} form: {len(part)} texts ({args.split} templates, "
                        f"{len({p.kind for p in part})} gaps, with decoys)", counts)
            print_key_types(counts)
        print_gaps(by_kind)
        detector.vault_values = None
    print("\nScan latency")
    if pages and ("pages" in corpora or args.corpus == "probe"):
        if not obs_lat:
            for page in pages:
                t0 = time.perf_counter()
                detector.scan(page.text, "observation")
                obs_lat.append((time.perf_counter() - t0) * 1000)
        print(_latency_line("observation (full page)", obs_lat, [len(p.text) for p in pages]))
        joined = [a.text + "\n" + b.text for a, b in zip(pages[::2], pages[1::2], strict=False)]
        big_lat = []
        for text in joined:
            t0 = time.perf_counter()
            detector.scan(text, "observation")
            big_lat.append((time.perf_counter() - t0) * 1000)
        print(_latency_line("observation (2 pages)", big_lat, [len(t) for t in joined]))
        huge = "\n".join(p.text for p in pages)[:40_000]  # the boundary's MAX_SCAN_CHARS
        huge_lat = []
        for _ in range(3):
            t0 = time.perf_counter()
            detector.scan(huge, "observation")
            huge_lat.append((time.perf_counter() - t0) * 1000)
        print(f"{'observation (40 KB)':<24} n=3    chars≈{len(huge):6d}  "
              f"max={max(huge_lat):6.1f} ms")
        if detector.ner_on_fields and detector.has_ner:
            field_lat = []
            for page in pages:
                t0 = time.perf_counter()
                detector._field_names(page.text)
                field_lat.append((time.perf_counter() - t0) * 1000)
            print(_latency_line("  of which field NER", field_lat, [len(p.text) for p in pages]))
    if task_lat:
        print(_latency_line("task sentence", task_lat, task_sizes))


if __name__ == "__main__":
    main()
