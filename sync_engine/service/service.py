"""The sync service: one object owning the workspace, the durable queue, the worker and the HTTP server.

Lifecycle: open → reload profiles → reconcile registrations → listen → ready (sd_notify) → serve;
SIGHUP reloads profiles (validated first; a bad set is refused and the old one kept), SIGTERM stops
taking work, lets in-flight runs finish for a while and hands the rest back to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import uvicorn

from sync_engine.bus import EventBus
from sync_engine.connectors.base import ConnectorError
from sync_engine.connectors.bitrix24 import Bitrix24Connector
from sync_engine.jobs import FiredTimer, JobBatch, JobHandler, JobStore, JobWorker, TimerStore
from sync_engine.profiles.schema import Profile
from sync_engine.secrets import SecretError
from sync_engine.service import registrations
from sync_engine.service.config import ServiceConfig
from sync_engine.service.inbound import InboundEvent, parse_offline
from sync_engine.service.metrics import Metrics
from sync_engine.service.plugins import load_handlers
from sync_engine.service.router import Router
from sync_engine.service.routing import RoutedProfile
from sync_engine.service.sdnotify import SdNotifier
from sync_engine.service.secrets import APPLICATION_TOKEN, WEBHOOK_SECRET, ServiceSecrets
from sync_engine.service.store import ServiceStore, utcnow
from sync_engine.service.sync_jobs import SYNC, SyncJobHandler, rearm, schedule_timers
from sync_engine.service.tokens import TokenStore
from sync_engine.serving import EmbeddedServer, bind_socket
from sync_engine.workspace import Workspace, WorkspaceError

log = logging.getLogger(__name__)
AppFactory = Callable[["SyncService"], Any]  # builds the ASGI app (routes) for a service


class SyncService:
    def __init__(self, ws: Workspace, config: ServiceConfig, notifier: SdNotifier | None = None) -> None:
        self.ws = ws
        self.config = config
        self.store = ServiceStore(ws.engine)
        self.tokens = TokenStore(ws.engine)
        self.secrets = ServiceSecrets(self.store, ws.secrets)
        self.metrics = Metrics()
        self.bus = EventBus()
        self.notifier = notifier or SdNotifier()
        self.routes: list[RoutedProfile] = []
        self.registrations: dict[str, registrations.Outcome] = {}
        self.clock = config.clock()
        jobs = ws.settings.jobs
        self.jobs = JobStore(ws.engine, self.clock, backoff=lambda attempts: timedelta(
            seconds=min(jobs.retry_cap_s, jobs.retry_base_s * 2 ** max(0, attempts - 1))))
        self.timers = TimerStore(self.jobs)
        self.router = Router(self.store, self.jobs, config, lambda: self.routes)
        self.sync = SyncJobHandler(ws, config, self.metrics, self.bus, lambda: self.routes)
        handlers: list[JobHandler] = [self.sync, *load_handlers(config.job_plugins, self)]
        self.worker = JobWorker(self.jobs, handlers, owner=config.instance_id, lease_seconds=config.lease_seconds,
                                slots=config.workers, poll_seconds=config.poll_seconds, rearm=rearm,
                                observer=_Observer(self.bus), timer_poll_seconds=min(1.0, config.poll_seconds * 2))
        self.wake_router = asyncio.Event()
        self.url: str | None = None
        self.started_at = time.monotonic()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._ready_cache: tuple[float, dict[str, Any]] | None = None

    # -- profiles -----------------------------------------------------------------------------------------
    def build_routes(self, profiles: Sequence[Profile]) -> list[RoutedProfile]:
        """Resolve each enabled profile's connections; raises WorkspaceError naming what is wrong."""
        out: list[RoutedProfile] = []
        for p in profiles:
            if not p.enabled:
                continue
            jira = self.ws.connection(p.jira.connection, "jira").name
            b24 = self.ws.connection(p.bitrix24.connection, "bitrix24").name
            out.append(RoutedProfile(p, jira, b24))
        return out

    def reload(self) -> list[str]:
        """Re-read profiles from the database; the old set stays when the new one does not resolve."""
        routes = self.build_routes(self.ws.profiles())
        self.routes = routes
        self.timers.sync_schedules(schedule_timers(routes, self.clock.now()), job_kind=SYNC)
        names = [r.profile.name for r in routes]
        log.info("profiles loaded: %s", ", ".join(names) or "none")
        self.bus.publish("profiles.reloaded", profiles=names)
        return names

    async def reload_async(self) -> None:
        self.notifier.reloading()
        try:
            await asyncio.to_thread(self.reload)
            await self.sync.sessions.retire()
        except (WorkspaceError, ValueError) as exc:
            log.error("reload refused, keeping the running profiles: %s", exc)
        finally:
            self.notifier.ready("reloaded")

    # -- registrations --------------------------------------------------------------------------------
    async def reconcile(self) -> dict[str, registrations.Outcome]:
        out: dict[str, registrations.Outcome] = {}
        used = {r.jira_connection for r in self.routes} | {r.bitrix24_connection for r in self.routes}
        for info in self.ws.connections():
            if info.name not in used:
                continue
            try:
                if info.system == "jira":
                    if self.config.public_url is None:
                        continue
                    hook_secret = await asyncio.to_thread(self.secrets.ensure, info.name, WEBHOOK_SECRET)
                    secret = self.ws.secrets.get(info.secret_ref)
                    outcome = await registrations.reconcile_jira(info, secret, self.config.public_url, hook_secret,
                                                                 self.routes)
                elif info.flavour == "oauth":
                    conn = self.ws.connector(info)
                    assert isinstance(conn, Bitrix24Connector)
                    try:
                        outcome = await registrations.reconcile_bitrix24(
                            conn, info, self.config.public_url, self.config.offline_mode, self.routes)
                    finally:
                        await conn.aclose()
                else:
                    outcome = registrations.manual_outcome(info, self.config.public_url, self.routes)
                    if outcome.handler_url:
                        has = self.secrets.get(info.name, APPLICATION_TOKEN) is not None
                        log.warning(
                            "Bitrix24 connection %s uses an inbound webhook: ask the portal admin to add an outgoing "
                            "webhook with handler URL %s for events %s%s", info.name, outcome.handler_url,
                            ", ".join(outcome.events),
                            "" if has else " and give its application token to PUT "
                            f"/api/v1/connections/{info.name}/application-token")
            except (ConnectorError, SecretError, WorkspaceError, OSError, ValueError) as exc:
                outcome = registrations.Outcome(info.name, info.system, "error", error=str(exc)[:500])
                log.error("registering webhooks for %s failed: %s", info.name, exc)
            except Exception as exc:  # e.g. an HTTP error status from the registration API
                outcome = registrations.Outcome(info.name, info.system, "error", error=str(exc)[:500])
                log.error("registering webhooks for %s failed: %s", info.name, type(exc).__name__)
            out[info.name] = outcome
            if outcome.mode != "error":
                log.info("registrations of %s: %s", info.name, json.dumps(outcome.as_json()))
        self.registrations = out
        return out

    # -- inbound --------------------------------------------------------------------------------------
    def accept(self, connection: str, event: InboundEvent, via: str) -> bool:
        stored = self.store.inbox_add(connection, event.system, event.dedup_key, event.event, event.as_payload())
        if stored:
            self.metrics.inc("b24s_events_received_total", system=event.system, via=via)
        else:
            self.metrics.inc("b24s_events_duplicate_total", system=event.system)
        return stored

    async def poll_offline_once(self, info_name: str) -> int:
        info = self.ws.connection(info_name, "bitrix24")
        conn = self.ws.connector(info)
        assert isinstance(conn, Bitrix24Connector)
        taken = 0
        try:
            while True:
                answer = await conn.call("event.offline.get", {"clear": 0, "limit": 50}) or {}
                events = answer.get("events") or [] if isinstance(answer, dict) else []
                if not events:
                    return taken
                for record in events:
                    ev = parse_offline(record) if isinstance(record, dict) else None
                    if ev is not None:
                        await asyncio.to_thread(self.accept, info.name, ev, "offline")
                # Cleared only once stored: a crash in between means a redelivery the inbox drops.
                await conn.call("event.offline.clear", {
                    "process_id": answer.get("process_id"),
                    "message_id": [str(r.get("MESSAGE_ID")) for r in events if isinstance(r, dict)]})
                taken += len(events)
                self.wake_router.set()
        finally:
            await conn.aclose()

    async def _offline_loop(self) -> None:
        while not self._stop.is_set():
            for outcome in list(self.registrations.values()):
                if outcome.mode != "offline":
                    continue
                try:
                    await self.poll_offline_once(outcome.connection)
                except (ConnectorError, SecretError, WorkspaceError, OSError) as exc:
                    log.warning("polling offline events of %s failed: %s", outcome.connection, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.config.offline_poll_seconds)

    # -- routing stored events to jobs ---------------------------------------------------------------------
    async def _router_loop(self) -> None:
        while not self._stop.is_set():
            try:
                n = await asyncio.to_thread(self.router.route_batch)
            except Exception:
                log.exception("routing stored events failed")
                n = 0
            if n:
                self.worker.wake()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake_router.wait(), self.config.poll_seconds)
            self.wake_router.clear()

    async def _watchdog_loop(self) -> None:
        assert self.notifier.watchdog_seconds
        while not self._stop.is_set():
            self.notifier.watchdog()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.notifier.watchdog_seconds / 2)

    # -- health -----------------------------------------------------------------------------------------
    def gauges(self) -> dict[str, float]:
        oldest = self.jobs.oldest_waiting()
        counts = self.store.inbox_counts()
        return {"b24s_queue_depth": float(self.jobs.queue_depth()),
                "b24s_inbox_unrouted": float(counts.get("new", 0)),
                "b24s_lag_seconds": max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0,
                "b24s_up": 1.0}

    async def readiness(self) -> dict[str, Any]:
        if self._ready_cache and time.monotonic() - self._ready_cache[0] < 15:
            return self._ready_cache[1]
        checks: dict[str, Any] = {}
        try:
            await asyncio.to_thread(self.jobs.queue_depth)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        for info in self.ws.connections():
            try:
                await asyncio.wait_for(self.ws.test_connection(info.name), 10)
                checks[f"connection:{info.name}"] = "ok"
            except (ConnectorError, SecretError, WorkspaceError, OSError, TimeoutError) as exc:
                checks[f"connection:{info.name}"] = f"failing: {str(exc)[:200]}"
        ok = all(v == "ok" for v in checks.values())
        result = {"ready": ok, "checks": checks}
        self._ready_cache = (time.monotonic(), result)
        return result

    # -- running ----------------------------------------------------------------------------------------
    def single_instance_lock(self) -> Any:
        """SQLite serves one instance: a second ``serve`` on the same file is refused up front (an OS lock,
        released by the kernel however the holder ends). PostgreSQL needs none: instances share work."""
        url = self.ws.engine.url
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        import fcntl

        handle = open(f"{url.database}.service-lock", "a+")  # noqa: SIM115 (held for the process's life)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise WorkspaceError(f"another 'b24sync serve' already uses the SQLite database {url.database}; "
                                 "run several instances on PostgreSQL instead") from None
        return handle

    def request_stop(self) -> None:
        self._stop.set()

    async def serve(self, app_factory: AppFactory, sock: socket.socket | None = None) -> None:
        """Run until stopped, answering HTTP with the app ``app_factory`` builds for this service (the
        control API and hooks: :func:`sync_engine.service.api.create_app`, passed in by ``b24sync serve``)."""
        lock = self.single_instance_lock()
        try:
            await self._serve(app_factory, sock)
        finally:
            if lock is not None:
                lock.close()

    async def _serve(self, app_factory: AppFactory, sock: socket.socket | None) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGTERM, self.request_stop)
            loop.add_signal_handler(signal.SIGINT, self.request_stop)
            loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload_async()))
        await asyncio.to_thread(self.reload)
        sock = sock or bind_socket(self.config.host, self.config.port)
        host, port = sock.getsockname()[:2]
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
        app = app_factory(self)
        server = EmbeddedServer(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                        timeout_keep_alive=30, log_config=None))
        server_task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if server_task.done():
                await server_task
                raise RuntimeError("the HTTP server failed to start")
            await asyncio.sleep(0.01)
        if self.config.register_webhooks:
            await self.reconcile()
        self._tasks.append(asyncio.create_task(self._router_loop(), name="b24s-router"))
        self.worker.start()
        self._tasks.append(asyncio.create_task(self._offline_loop()))
        if self.notifier.watchdog_seconds:
            self._tasks.append(asyncio.create_task(self._watchdog_loop()))
        log.info("listening on %s (instance %s)", self.url, self.config.instance_id)
        sys.stdout.write(json.dumps({"event": "ready", "url": self.url, "instance": self.config.instance_id}) + "\n")
        sys.stdout.flush()
        self.notifier.ready(f"listening on {self.url}")
        await self._stop.wait()
        log.info("stopping: finishing in-flight runs (up to %.0f s)", self.config.stop_timeout_seconds)
        self.notifier.stopping()
        await self.worker.stop(self.config.stop_timeout_seconds)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        server.should_exit = True
        await server_task
        log.info("stopped")


class _Observer:
    """The queue's doings, on the service's event stream (``/api/v1/events``) and in its log."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    def timer_fired(self, timer: FiredTimer) -> None:
        log.info("timer %s fired for lane %s (%s)", timer.name, timer.lane, timer.job_kind)
        self.bus.publish("timer.fired", name=timer.name, lane=timer.lane, job_kind=timer.job_kind, job_id=timer.job_id,
                         profile=timer.lane if timer.job_kind == SYNC else None)

    def batch_finished(self, batch: JobBatch, error: str | None) -> None:
        if batch.kind != SYNC:  # sync runs announce themselves (run.finished / run.failed) with their summary
            self.bus.publish("job.finished", job_kind=batch.kind, lane=batch.lane, jobs=[j.id for j in batch.jobs],
                             error=error)
