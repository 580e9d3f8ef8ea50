"""Scale-out: episodes fan out over Ray workers (`--workers N`, `--ray-address ADDR`).

    driver (the CLI, the cycle)                        Ray actors (EpisodeWorker), N of them
    jobs → EpisodeSpec(suite, task, seed, mode,  ──▶   each: its own SiteServer, Chromium
           source, PolicySpec) — plain data            (BrowserSession) and routers; the
                                                       on-device model loads once per actor
    TrajectoryStore ◀── records, in job order  ◀──   run_episode → EpisodeRecord (the episode
    (the one writer)                                   row and its StepRecords, masked)

Only the driver writes to SQLite, in the job order, so a run with N workers stores the same
episodes (task ids, seeds, order) as one with a single worker. A worker that dies (kill -9,
Chromium gone) loses at most its episode in flight: that episode is retried once on another
worker and otherwise recorded as `error`; the dead actor is replaced.

`--workers 1` never comes here (and never imports ray): it is `trainer.bench.runner.run_bench`
in this process, as before. Ray is the `scale` extra (`pip install '.[scale]'`), imported only
inside the functions that need it.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.loop import EpisodeHooks, EpisodeOptions, EpisodeResult, EpisodeStart, StepEvent
from core.privacy.secrets import NO_SECRETS, Secrets
from core.routing.base import Router
from core.store.recorder import step_record
from core.store.service import TrajectoryStore
from core.store.views import StepRecord
from trainer.bench.runner import (
    EpisodeSummary,
    Job,
    count_leaks,
    git_commit,
    summarize,
    write_json_atomic,
)

log = logging.getLogger(__name__)

# Environment the workers need to find what the driver uses (data dir, models, Chromium,
# llama.cpp settings, offline Hugging Face); passed to every worker through Ray's runtime_env.
FORWARDED_ENV = ("SYMBIOTE_HOME", "SYMBIOTE_CACHE", "SYMBIOTE_CHROMIUM", "SYMBIOTE_N_CTX",
                 "SYMBIOTE_THREADS", "SYMBIOTE_THREADS_BATCH", "XDG_DATA_HOME",
                 "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HOME", "ANTHROPIC_API_KEY")
MAX_ATTEMPTS = 2          # an episode whose worker failed is retried once, on another worker
REPLACEMENTS_PER_SLOT = 3  # a worker slot is re-created this often before it is given up


def scale_available() -> bool:
    """Whether the `scale` extra (ray) is installed; nothing is imported."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None


def _ray():  # type: ignore[no-untyped-def]
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("--workers > 1 needs the scale extra: pip install '.[scale]' "
                          "(installers/setup.sh installs it)") from exc
    return ray


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# --- what a worker is sent: plain data it can rebuild everything from --------------------------

@dataclass(frozen=True)
class PolicySpec:
    """The router a worker builds (and keeps) for a run:

    - `agent`: `core.agent.build_router` for (mode, small, grounding, approval, fallback, k),
      with the reference teacher in the large seat (`large="teacher"`); what `symbiote bench`
      runs. A cloud seat (`claude`) is not distributed: its audit is written to the store
      before each request, and the store has one writer, the driver.
    - `teacher`: the reference solvers alone, routed as the cloud (the cycle's large seat);
    - `small`: the on-device policy alone (`temperature`, `seed`: sampled exploration);
    - `speculative`: speculative synthesis, the small model checked by the teacher's top-k.
    """

    kind: str = "agent"              # agent | teacher | small | speculative
    mode: str = "local"
    small: str | None = None         # registry name; None: the active model
    large: str = "teacher"
    grounding: str = "rules"
    approval: str = "never"
    fallback_local: bool = True
    k: int = 1
    temperature: float = 0.0
    seed: int | None = None

    def validate(self) -> None:
        if self.kind not in ("agent", "teacher", "small", "speculative"):
            raise ConfigError(f"unknown policy kind {self.kind!r}")
        if self.kind == "agent" and self.mode != "local" and self.large != "teacher":
            raise ConfigError(
                f"--workers > 1 runs the large seat in the workers, so it must be offline "
                f"(--large teacher); the cloud seat {self.large!r} writes its audit to the "
                "store before each request and the store has one writer: use --workers 1")

    def build(self) -> Router:
        """The router, built where it runs (a worker): models load here, once per process."""
        from core.agent import AgentConfig, build_router, small_policy
        from core.routing.base import SingleSeatRouter
        from core.routing.seats import OfflineSeat
        from trainer.speculative import SpeculativeRouter
        from trainer.suites import reference_teacher

        self.validate()
        if self.kind == "teacher":
            return SingleSeatRouter(reference_teacher(), route="cloud")
        if self.kind == "small":
            return SingleSeatRouter(small_policy(self.small, temperature=self.temperature,
                                                 seed=self.seed, grounding=self.grounding))
        if self.kind == "speculative":
            return SpeculativeRouter(small_policy(self.small, grounding=self.grounding),
                                     reference_teacher(), k=self.k)
        config = AgentConfig(mode=self.mode, small=self.small, grounding=self.grounding,
                             approval=self.approval, fallback_local=self.fallback_local, k=self.k)
        seat = OfflineSeat(reference_teacher()) if self.large == "teacher" else None
        return build_router(config, large_seat=seat)


@dataclass(frozen=True)
class EpisodeSpec:
    """One episode as a worker can rebuild it: the task from (suite, name, seed) on the
    worker's own SiteServer, its secrets from the suite, the router from `policy`."""

    index: int                # the job's place: records are written in this order
    suite: str                # miniwob | practice | synthetic
    name: str                 # MiniWoB task name, practice task id, synthetic family
    seed: int | None
    task_id: str
    mode: str
    source: str
    policy: PolicySpec
    max_steps: int | None = None


def spec_of(job: Job, index: int, *, mode: str, source: str, policy: PolicySpec,
            max_steps: int | None = None) -> EpisodeSpec:
    """The plain-data form of a job. A job whose task or secrets a worker could not rebuild
    the same way is a ConfigError (nothing live is shipped)."""
    from trainer.suites.miniwob.tasks import MiniWoBTask
    from trainer.suites.practice.tasks import PracticeTask
    from trainer.suites.synthetic.task import SyntheticTask

    task = job.task
    if isinstance(task, MiniWoBTask):
        suite, name = "miniwob", task.name
    elif isinstance(task, PracticeTask):
        suite, name = "practice", task.config.task_id
    elif isinstance(task, SyntheticTask):
        suite, name = "synthetic", task.spec.family
    else:
        raise ConfigError(f"task {task.id} is not from a suite a worker can rebuild")
    spec = EpisodeSpec(index=index, suite=suite, name=name, seed=job.seed, task_id=task.id,
                       mode=mode, source=source, policy=policy, max_steps=max_steps)
    if sorted(job.secrets.values()) != sorted(_suite_secrets(spec, "").values()):
        raise ConfigError(f"job {task.id} carries secrets its suite does not give it: such a "
                          "job cannot be distributed (use --workers 1)")
    return spec


def _suite_secrets(spec: EpisodeSpec, base_url: str) -> Secrets:
    if spec.suite == "practice":
        from trainer.suites.practice.tasks import demo_secrets

        return demo_secrets(base_url)
    if spec.suite == "synthetic":
        from trainer.suites.synthetic.site import spec as synthetic_spec
        from trainer.suites.synthetic.task import task_secrets

        return task_secrets(synthetic_spec(spec.name, int(spec.seed or 0)), base_url)
    return NO_SECRETS


def build_job(spec: EpisodeSpec, base_url: str) -> Job:
    """The job again, bound to this worker's SiteServer."""
    if spec.suite == "miniwob":
        from trainer.suites.miniwob.tasks import MiniWoBTask

        return Job(MiniWoBTask(spec.name, spec.seed if spec.seed is not None else 0, base_url),
                   spec.seed)
    if spec.suite == "practice":
        from trainer.suites.practice.tasks import load_practice_tasks

        by_id = {t.config.task_id: t for t in load_practice_tasks(base_url)}
        return Job(by_id[spec.name], spec.seed, _suite_secrets(spec, base_url))
    if spec.suite == "synthetic":
        from trainer.suites.synthetic.task import load_tasks

        task = load_tasks(base_url, [spec.name], [int(spec.seed or 0)])[0]
        return Job(task, spec.seed, task.secrets)
    raise ConfigError(f"unknown suite {spec.suite!r}")


# --- the worker ------------------------------------------------------------------------------

class _Collector(EpisodeHooks):
    """The recorder's work without the store: the episode row and each step's StepRecord
    (core.store.recorder.step_record, masked), for the driver to write."""

    def __init__(self, on_step: Callable[[int], None]) -> None:
        self.on_step_done = on_step
        self.secrets = NO_SECRETS
        self.task: dict[str, Any] | None = None
        self.episode: dict[str, Any] | None = None
        self.steps: list[dict[str, Any]] = []

    def on_start(self, start: EpisodeStart) -> None:
        task, options = start.task, start.options
        self.secrets = start.secrets
        self.task = {"id": task.id, "source": task.source, "intent": start.intent,
                     "start_url": task.start_url}
        self.episode = {"task_id": task.id, "intent": self.secrets.mask(start.intent),
                        "start_url": task.start_url, "mode": options.mode,
                        "policy": start.router_id, "source": options.source,
                        "seed": options.seed, "started_at": _now()}
        return None

    def on_step(self, event: StepEvent) -> None:
        self.steps.append(step_record(event, self.secrets).model_dump())
        self.on_step_done(event.idx + 1)

    def on_finish(self, result: EpisodeResult) -> None:
        if self.episode is not None:
            self.episode.update(outcome=result.outcome, reward=result.reward,
                                answer=self.secrets.mask(result.answer), ended_at=_now())


def router_counts(router: Router) -> dict[str, int]:
    """The router's running counts (privacy routes; speculative acceptances)."""
    from core.routing.privacy import PrivacyRouter
    from trainer.speculative import SpeculativeRouter

    if isinstance(router, PrivacyRouter):
        return {k: int(v) for k, v in vars(router.stats).items()}
    if isinstance(router, SpeculativeRouter):
        return {"accepted": router.accepted, "rejected": router.rejected}
    return {}


class EpisodeWorker:
    """One Ray actor. Chromium is started on the thread that runs episodes (Playwright's sync
    API is bound to its thread), lazily; `status` answers from its own thread meanwhile."""

    def __init__(self, slot: int, headless: bool = True) -> None:
        self.slot = slot
        self.headless = headless
        self.server: Any = None
        self.session: Any = None
        self.routers: dict[PolicySpec, Router] = {}
        self.current: dict[str, Any] = {}
        logging.basicConfig(level=logging.WARNING)

    def _browser(self) -> Any:
        from core.browser.session import BrowserConfig, BrowserSession
        from trainer.suites.sites import SiteServer

        if self.server is None:
            self.server = SiteServer().start()
        if self.session is None:
            self.session = BrowserSession(BrowserConfig(headless=self.headless))
            self.session.start()
        return self.session

    def _restart_browser(self) -> None:
        if self.session is not None:
            try:
                self.session.close()
            except Exception:  # noqa: BLE001 (a crashed Chromium fails in many ways)
                log.debug("closing a broken browser failed", exc_info=True)
            self.session = None

    def _alive(self) -> bool:
        try:
            self.session.page.evaluate("() => 1")
            return True
        except Exception:  # noqa: BLE001
            return False

    def _router(self, policy: PolicySpec) -> Router:
        if policy not in self.routers:
            self.routers[policy] = policy.build()
        return self.routers[policy]

    def prepare(self, policy: PolicySpec) -> dict[str, Any]:
        """Start the browser and build the router (loads the model): before the first episode,
        so every worker warms up at once."""
        self._browser()
        return {"pid": os.getpid(), "node": os.uname().nodename,
                "router_id": self._router(policy).id}

    def status(self) -> dict[str, Any]:
        return {"slot": self.slot, "pid": os.getpid(), **self.current}

    def run(self, spec: EpisodeSpec, attempt: int = 0) -> dict[str, Any]:
        """One episode; a record for the driver, or {"failed": why} when this worker could
        not run it (the driver retries it elsewhere)."""
        from core.loop import run_episode

        base = {"index": spec.index, "attempt": attempt, "slot": self.slot, "pid": os.getpid()}
        self.current = {"index": spec.index, "task": spec.task_id, "step": 0}
        try:
            session = self._browser()
            router = self._router(spec.policy)
            job = build_job(spec, self.server.base_url)
            collector = _Collector(lambda n: self.current.update(step=n))
            before = router_counts(router)
            options = EpisodeOptions(mode=spec.mode, max_steps=spec.max_steps, seed=spec.seed,
                                     source=spec.source)
            result = run_episode(job.task, session, router, secrets=job.secrets,
                                 hooks=[collector], options=options)
            if not self._alive():
                self._restart_browser()
                return {**base, "failed": "Chromium died during the episode"}
        except Exception as exc:  # noqa: BLE001 (the worker lives on; the driver retries)
            log.warning("episode %s failed on this worker: %s: %s", spec.task_id,
                        type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
            log.debug("the failure", exc_info=True)
            self._restart_browser()
            return {**base, "failed": f"{type(exc).__name__}: {exc}"}
        finally:
            self.current = {}
        after = router_counts(router)
        steps = result.steps
        summary = {"task": spec.task_id, "seed": spec.seed, "outcome": result.outcome,
                   "reward": result.reward, "steps": len(steps), "wall_s": round(result.wall_s, 2),
                   "latencies_ms": [round(s.latency_ms, 1) for s in steps],
                   "routes": [s.decision.route for s in steps],
                   "findings": sum(len(s.decision.findings) for s in steps),
                   "error": result.error}
        return {**base, "task": collector.task, "episode": collector.episode,
                "steps": collector.steps, "summary": summary,
                "counts": {k: after[k] - before.get(k, 0) for k in after}}

    def close(self) -> None:
        self._restart_browser()
        if self.server is not None:
            self.server.stop()
            self.server = None


# --- the driver ------------------------------------------------------------------------------

@contextmanager
def ray_runtime(address: str | None = None, *, num_cpus: int | None = None,
                env: dict[str, str] | None = None) -> Iterator[Any]:
    """Join the cluster at `address` (`ray start --head` prints it; "auto": the local one), or
    start a local Ray runtime and shut it down after. An already initialized Ray is used as
    it is and left running."""
    ray = _ray()
    if ray.is_initialized():
        yield ray
        return
    forwarded = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
    runtime_env = {"env_vars": {**forwarded, **(env or {})}}
    try:
        if address:
            ray.init(address=address, runtime_env=runtime_env, logging_level=logging.WARNING)
        else:
            # address="local": a new runtime even when `ray start` left a cluster on this host
            ray.init(address="local", num_cpus=num_cpus or os.cpu_count() or 1,
                     include_dashboard=False,
                     object_store_memory=256 * 1024 ** 2, runtime_env=runtime_env,
                     logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        what = f"join the Ray cluster at {address}" if address else "start Ray"
        raise ConfigError(f"cannot {what}: {exc}") from exc
    try:
        yield ray
    finally:
        ray.shutdown()


@dataclass
class _Slot:
    index: int
    actor: Any = None
    pid: int | None = None
    ready: bool = False
    replacements: int = 0
    policy: PolicySpec | None = None   # the router it has warmed up


@dataclass
class PoolStats:
    retries: int = 0          # episodes run again after their worker failed
    worker_deaths: int = 0    # actors that died (kill -9, OOM) and were replaced
    failures: list[str] = field(default_factory=list)


class WorkerPool:
    """N EpisodeWorker actors, kept for as long as the pool is open (a bench, a whole cycle).

    `with WorkerPool(2) as pool: pool.run(specs, deliver)`; `deliver(record)` is called in
    the specs' order, `on_arrival(record)` as soon as any worker finishes one."""

    def __init__(self, workers: int, *, ray_address: str | None = None, headless: bool = True,
                 cpus_per_worker: float = 1.0) -> None:
        if workers < 1:
            raise ConfigError("--workers must be at least 1")
        self.workers = workers
        self.ray_address = ray_address
        self.headless = headless
        self.cpus_per_worker = cpus_per_worker
        self.slots: list[_Slot] = []
        self.stats = PoolStats()
        self._runtime: Any = None
        self._ray: Any = None
        self._actor_cls: Any = None
        self.router_id = ""

    # lifecycle

    def __enter__(self) -> WorkerPool:
        # llama.cpp's prefill threads: the worker's share of the cores, unless set explicitly
        threads = str(max(1, int(self.cpus_per_worker)))
        env = {"SYMBIOTE_THREADS_BATCH": os.environ.get("SYMBIOTE_THREADS_BATCH", threads)}
        needed = int(self.workers * self.cpus_per_worker + 0.999)
        self._runtime = ray_runtime(self.ray_address, env=env,
                                    num_cpus=max(os.cpu_count() or 1, needed))
        self._ray = self._runtime.__enter__()
        self._actor_cls = self._ray.remote(
            num_cpus=self.cpus_per_worker, max_concurrency=1,
            concurrency_groups={"status": 1})(EpisodeWorker)
        self.slots = [_Slot(i) for i in range(self.workers)]
        for slot in self.slots:
            self._spawn(slot)
        return self

    def __exit__(self, *exc: object) -> None:
        ray = self._ray
        closing = [s.actor.close.remote() for s in self.slots if s.actor is not None and s.ready]
        if closing:  # Chromium and the sites server stop cleanly; a stuck one is killed below
            ray.wait(closing, num_returns=len(closing), timeout=10)
        for slot in self.slots:
            if slot.actor is not None:
                ray.kill(slot.actor)
                slot.actor = None
        self._runtime.__exit__(*exc)

    def _spawn(self, slot: _Slot) -> None:
        slot.actor = self._actor_cls.remote(slot.index, self.headless)
        slot.pid, slot.ready, slot.policy = None, False, None

    # what the workers are doing

    def statuses(self) -> list[dict[str, Any]]:
        """Each live worker's slot, pid and episode in flight (index, task, step)."""
        out = []
        for slot in list(self.slots):
            if slot.actor is None or not slot.ready:
                continue
            try:
                out.append(self._ray.get(
                    slot.actor.status.options(concurrency_group="status").remote(), timeout=5))
            except Exception:  # noqa: BLE001 (a worker dying right now has no status)
                continue
        return out

    # the run

    def run(self, specs: list[EpisodeSpec], deliver: Callable[[dict[str, Any]], None], *,
            on_arrival: Callable[[dict[str, Any]], None] | None = None) -> PoolStats:
        """Run every spec on the workers; `deliver` gets each record in the specs' order. A
        worker's failure retries its episode once on another worker, then records `error`.
        On Ctrl-C the records already finished are delivered (in order) before it raises."""
        ray = self._ray
        from ray.exceptions import GetTimeoutError, RayActorError, RayError

        if not specs:
            return self.stats
        by_index = {s.index: s for s in specs}
        order = [s.index for s in specs]
        pending: deque[int] = deque(order)
        retry: deque[tuple[int, int]] = deque()          # (index, slot it failed on)
        attempts = {i: 0 for i in order}
        finished: dict[int, dict[str, Any]] = {}
        inflight: dict[Any, tuple[str, _Slot, int]] = {}  # ref -> (kind, slot, index)
        delivered = 0

        def warm(slot: _Slot, policy: PolicySpec) -> None:
            inflight[slot.actor.prepare.remote(policy)] = ("prepare", slot, -1)
            slot.policy = policy

        def fail(index: int, slot: _Slot, why: str) -> None:
            attempts[index] += 1
            self.stats.failures.append(f"{by_index[index].task_id} seed {by_index[index].seed} "
                                       f"on worker {slot.index}: {why}")
            log.warning("worker %d failed %s (seed %s): %s", slot.index,
                        by_index[index].task_id, by_index[index].seed, why)
            if attempts[index] < MAX_ATTEMPTS:
                self.stats.retries += 1
                retry.append((index, slot.index))
            else:
                finished[index] = error_record(by_index[index], why)
                if on_arrival is not None:
                    on_arrival(finished[index])

        def died(slot: _Slot) -> None:
            self.stats.worker_deaths += 1
            try:
                ray.kill(slot.actor)
            except Exception:  # noqa: BLE001
                pass
            if slot.replacements < REPLACEMENTS_PER_SLOT:
                slot.replacements += 1
                log.warning("worker %d died: starting a new one", slot.index)
                self._spawn(slot)
            else:
                log.error("worker %d died %d times: giving it up", slot.index,
                          slot.replacements + 1)
                slot.actor = None

        def live_others(slot: _Slot) -> bool:
            return any(s is not slot and s.actor is not None for s in self.slots)

        def next_for(slot: _Slot) -> int | None:
            for n, (index, failed_on) in enumerate(retry):
                if failed_on != slot.index or not live_others(slot):
                    del retry[n]
                    return index
            return pending.popleft() if pending else None

        def busy(slot: _Slot) -> bool:
            return any(s is slot for _, s, _ in inflight.values())

        def dispatch() -> None:
            for slot in self.slots:
                if slot.actor is None or busy(slot):
                    continue
                spec_policy = by_index[pending[0]].policy if pending else (
                    by_index[retry[0][0]].policy if retry else None)
                if spec_policy is None:
                    continue
                if not slot.ready or slot.policy != spec_policy:
                    warm(slot, spec_policy)
                    continue
                index = next_for(slot)
                if index is not None:
                    ref = slot.actor.run.remote(by_index[index], attempts[index])
                    inflight[ref] = ("run", slot, index)

        def flush() -> None:
            nonlocal delivered
            while delivered < len(order) and order[delivered] in finished:
                deliver(finished.pop(order[delivered]))
                delivered += 1

        try:
            while delivered < len(order):
                if all(s.actor is None for s in self.slots):
                    for index in list(pending) + [i for i, _ in retry]:
                        finished[index] = error_record(by_index[index], "no worker left")
                    pending.clear()
                    retry.clear()
                    flush()
                    break
                dispatch()
                if not inflight:
                    flush()
                    if delivered < len(order):
                        time.sleep(0.05)
                    continue
                ready, _ = ray.wait(list(inflight), num_returns=1, timeout=1.0)
                for ref in ready:
                    kind, slot, index = inflight.pop(ref)
                    try:
                        value = ray.get(ref)
                    except RayActorError:
                        died(slot)
                        if kind == "run":
                            fail(index, slot, "the worker died (its process was killed or "
                                              "crashed)")
                        continue
                    except (RayError, GetTimeoutError) as exc:
                        if kind == "run":
                            fail(index, slot, f"{type(exc).__name__}: {str(exc)[:300]}")
                        else:
                            died(slot)
                        continue
                    if kind == "prepare":
                        slot.pid, slot.ready = value["pid"], True
                        self.router_id = value["router_id"]
                    elif "failed" in value:
                        fail(index, slot, value["failed"])
                    else:
                        finished[index] = value
                        if on_arrival is not None:
                            on_arrival(value)
                flush()
        except KeyboardInterrupt:
            # what finished is kept: delivered in the job order, skipping the lost ones
            for index in sorted(finished, key=order.index):
                deliver(finished.pop(index))
            log.warning("interrupted: the episodes in flight on the workers are lost")
            raise
        return self.stats

    def warm_up(self, policy: PolicySpec) -> str:
        """Start every worker's browser and router now (the model loads); the router's id."""
        ray = self._ray
        from ray.exceptions import RayError

        refs = {s.actor.prepare.remote(policy): s for s in self.slots if s.actor is not None}
        for ref, slot in refs.items():
            try:
                value = ray.get(ref)
            except RayError as exc:
                cause = getattr(exc, "cause", None) or exc
                raise ConfigError(f"worker {slot.index} could not start: "
                                  f"{str(cause).strip().splitlines()[-1]}") from exc
            slot.pid, slot.ready, slot.policy = value["pid"], True, policy
            self.router_id = value["router_id"]
        return self.router_id


def error_record(spec: EpisodeSpec, why: str) -> dict[str, Any]:
    """An episode no worker could run: an `error` row with no steps."""
    now = _now()
    return {"index": spec.index, "attempt": MAX_ATTEMPTS, "slot": None, "pid": None,
            "task": None,
            "episode": {"task_id": spec.task_id, "intent": "", "start_url": "",
                        "mode": spec.mode, "policy": "", "source": spec.source,
                        "seed": spec.seed, "outcome": "error", "reward": None, "answer": "",
                        "started_at": now, "ended_at": now},
            "steps": [], "counts": {},
            "summary": {"task": spec.task_id, "seed": spec.seed, "outcome": "error",
                        "reward": None, "steps": 0, "wall_s": 0.0, "latencies_ms": [],
                        "routes": [], "findings": 0, "error": why}}


def write_record(store: TrajectoryStore, record: dict[str, Any]) -> int | None:
    """Write one worker's episode as the StoreRecorder would have: the task, the episode row,
    each StepRecord, the outcome. Returns the episode's id (None: the episode never started,
    as a task whose setup failed stores nothing in one process either)."""
    episode = record.get("episode")
    if episode is None:
        return None
    task = record.get("task")
    if task is not None:
        store.upsert_task(task["id"], task["source"], task["intent"], task["start_url"])
    elif not store.db["tasks"].count_where("id = ?", [episode["task_id"]]):
        store.upsert_task(episode["task_id"], episode["task_id"].split("/", 1)[0], "", "")
    episode_id = store.start_episode(
        task_id=episode["task_id"], intent=episode["intent"], start_url=episode["start_url"],
        mode=episode["mode"], policy=episode["policy"], source=episode["source"],
        seed=episode["seed"])
    for step in record["steps"]:
        store.add_step(episode_id, StepRecord.model_validate(step))
    store.finish_episode(episode_id, outcome=episode.get("outcome", "unknown"),
                         reward=episode.get("reward"), answer=episode.get("answer", ""))
    # the times the worker ran it, not when the driver wrote it
    store.db["episodes"].update(episode_id, {"started_at": episode["started_at"],
                                             "ended_at": episode.get("ended_at")})
    return episode_id


def run_bench_distributed(
    jobs: list[Job],
    policy: PolicySpec,
    pool: WorkerPool,
    store: TrajectoryStore,
    out: Path,
    meta: dict[str, object],
    *,
    mode: str,
    max_steps: int | None = None,
    source: str = "bench",
    progress: Callable[[EpisodeSummary], None] | None = None,
) -> dict[str, object]:
    """`run_bench` over a WorkerPool: the same results file (plus `workers`, `retries`,
    `worker_deaths`), rewritten after every episode written, so Ctrl-C leaves a valid partial
    one. Router counts come back per episode and are summed (`router_stats`,
    `speculative`)."""
    policy.validate()
    specs = [spec_of(job, i, mode=mode, source=source, policy=policy, max_steps=max_steps)
             for i, job in enumerate(jobs)]
    secret_values = sorted({v for job in jobs for v in job.secrets.values()})
    router_id = pool.warm_up(policy)
    meta = {**meta, "git_commit": git_commit(), "mode": mode, "policy": router_id,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "workers": pool.workers}
    episodes: list[EpisodeSummary] = []
    counts: dict[str, int] = {}
    t0 = time.perf_counter()

    def extra() -> dict[str, object]:
        stats: dict[str, object] = {"retries": pool.stats.retries,
                                    "worker_deaths": pool.stats.worker_deaths,
                                    "run_wall_s": round(time.perf_counter() - t0, 1)}
        if policy.kind == "speculative" or "accepted" in counts:
            total = counts.get("accepted", 0) + counts.get("rejected", 0)
            stats["speculative"] = {"accepted": counts.get("accepted", 0),
                                    "rejected": counts.get("rejected", 0),
                                    "acceptance_rate": counts.get("accepted", 0) / total
                                    if total else 0.0}
        elif counts:
            stats["router_stats"] = dict(counts)
        return stats

    def deliver(record: dict[str, Any]) -> None:
        episode_id = write_record(store, record)
        for key, value in record.get("counts", {}).items():
            counts[key] = counts.get(key, 0) + value
        episodes.append(EpisodeSummary(**record["summary"], episode_id=episode_id))
        write_json_atomic(out, summarize(episodes, {**meta, "complete": False, **extra()}))

    def arrival(record: dict[str, Any]) -> None:
        if progress is not None:
            progress(EpisodeSummary(**record["summary"], episode_id=None))

    write_json_atomic(out, summarize(episodes, {**meta, "complete": False, **extra()}))
    try:
        pool.run(specs, deliver, on_arrival=arrival)
    except KeyboardInterrupt:
        log.warning("interrupted: %s holds the %d written episodes", out, len(episodes))
        raise
    leaks = count_leaks(store, [e.episode_id for e in episodes if e.episode_id is not None],
                        secret_values)
    results = summarize(episodes, {**meta, "complete": True, "leaks": leaks, **extra()})
    write_json_atomic(out, results)
    return results


def speculative_rate(results: dict[str, object]) -> float:
    spec = results.get("speculative") or {}
    return float(spec.get("acceptance_rate", 0.0))  # type: ignore[union-attr]


__all__ = ["EpisodeSpec", "EpisodeWorker", "PolicySpec", "WorkerPool", "build_job",
           "error_record", "ray_runtime", "run_bench_distributed", "scale_available",
           "spec_of", "speculative_rate", "write_record"]
