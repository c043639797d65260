"""What a run ran on: interpreter, machine, packages, git state, selected variables.

:func:`capture_environment` is called once per run on a background thread, never on a
cell's path; :class:`ImportedVersions` is the cheap incremental part the recorder calls
after every cell.  Neither imports IPython, and neither runs user code: module versions
are read from module dictionaries, never through attribute access.

The result goes into the run record, which may be published, so environment variables
are recorded only from an allow-list and, even then, not when the value looks secret.
Every section is captured on its own: a failure becomes ``{"error": ...}`` in that
section and the rest is still captured.
"""

from __future__ import annotations

import csv
import io
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from ..core.redaction import REDACTED, looks_secret_value, redact
from .gitinfo import git_info

__all__ = [
    "ALLOWED_ENV_VARS",
    "ImportedVersions",
    "allowed_environment",
    "capture_environment",
    "imported_versions",
    "installed_packages",
]

ALLOWED_ENV_VARS: tuple[str, ...] = (
    # locale and time: change parsing, sorting and formatting
    "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "LC_COLLATE", "TZ",
    # interpreter behaviour
    "PYTHONHASHSEED", "PYTHONPATH", "PYTHONUTF8", "PYTHONIOENCODING", "PYTHONOPTIMIZE",
    "PYTHONWARNINGS", "SOURCE_DATE_EPOCH",
    # thread pools of numeric libraries: change speed and, for reductions, results
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS", "MKL_CBWR",
    # accelerators and determinism switches
    "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "NVIDIA_VISIBLE_DEVICES",
    "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "CUBLAS_WORKSPACE_CONFIG",
    "TF_DETERMINISTIC_OPS", "JAX_ENABLE_X64", "JAX_PLATFORMS", "MPLBACKEND",
    # environment managers (names and paths)
    "CONDA_DEFAULT_ENV", "CONDA_PREFIX", "VIRTUAL_ENV",
    # this project
    "JUPYTER_EXT_DISABLE", "JUPYTER_EXT_STORE",
)  # fmt: skip
"""The only environment variables whose values may enter a run record: those that can
change what a notebook computes, and which environment it ran in.  Variables that often
carry credentials (``*_URL``, ``*_TOKEN``, ``*_KEY``) or personal data (``PATH``,
``HOME``, ``USER``) are not on it.  ``PYTHONPATH`` is: it holds paths, not secrets, and
it changes which code is imported.  Every value is still checked by
:func:`~jupyter_ext.core.redaction.looks_secret_value` before it is recorded."""


def allowed_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Allow-listed variables that are set, with secret-looking values replaced."""
    environ = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for name in ALLOWED_ENV_VARS:
        value = environ.get(name)
        if value is not None:
            out[name] = REDACTED if looks_secret_value(value) else value
    return out


def _python() -> dict[str, Any]:
    build_no, build_date = platform.python_build()
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "build": f"{build_no}, {build_date}",
        "compiler": platform.python_compiler(),
    }


def _platform() -> dict[str, Any]:
    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "platform": platform.platform(),
    }


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def _cpu() -> dict[str, Any]:
    model = None
    cpuinfo = _read_text("/proc/cpuinfo") if sys.platform.startswith("linux") else None
    if cpuinfo:
        m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        model = m.group(1).strip() if m else None
    if not model:
        model = platform.processor() or None
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {"model": model, "logical_cores": os.cpu_count(), "usable_cores": usable}


def _memory_bytes() -> int | None:
    meminfo = _read_text("/proc/meminfo") if sys.platform.startswith("linux") else None
    if meminfo:
        m = re.search(r"^MemTotal:\s*(\d+)\s*kB", meminfo, re.MULTILINE)
        if m:
            return int(m.group(1)) * 1024
    if hasattr(os, "sysconf"):
        try:
            return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError):
            pass
    return None


def _visible(index: str, uuid: str, spec: str | None) -> bool | None:
    """Whether CUDA would expose a device under a ``CUDA_VISIBLE_DEVICES`` value.

    CUDA reads the list up to its first invalid entry; entries are indices or
    (prefixes of) ``GPU-`` UUIDs.
    """
    if spec is None:
        return None
    for entry in (e.strip() for e in spec.split(",")):
        if entry.isdigit():
            if entry == index:
                return True
        elif entry.startswith(("GPU-", "MIG-")):
            if uuid.startswith(entry):
                return True
        else:
            break
    return False


def _gpus() -> list[dict[str, Any]]:
    """NVIDIA GPUs as ``nvidia-smi`` reports them; no CUDA library is loaded to find out.

    UUIDs are used only to apply ``CUDA_VISIBLE_DEVICES`` and are not recorded: they
    identify a machine and say nothing about the computation.
    """
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    fields = "index,uuid,name,driver_version,memory.total"
    proc = subprocess.run(
        [smi, f"--query-gpu={fields}", "--format=csv,noheader,nounits"],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=2.0,
        check=True,
        creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
    )
    spec = os.environ.get("CUDA_VISIBLE_DEVICES")
    out = []
    for row in csv.reader(io.StringIO(proc.stdout.decode("utf-8", "replace"))):
        if len(row) < 5:
            continue
        index, uuid, name, driver, memory = (c.strip() for c in row[:5])
        out.append(
            {
                "index": int(index) if index.isdigit() else index,
                "name": name,
                "driver_version": driver,
                "memory_mib": int(memory) if memory.isdigit() else None,
                "visible": _visible(index, uuid, spec),
            }
        )
    return out


def installed_packages() -> dict[str, str]:
    """Installed distributions as ``{normalised name: version}``, sorted by name.

    When the same distribution is installed twice on ``sys.path``, the first one wins, as
    it does for imports.
    """
    from .distributions import installed_versions  # only when capturing

    return installed_versions()


class _DistributionIndex:
    """Import name → version of the one distribution that provides it.

    Built from every installed distribution's declared or recorded import names
    (:mod:`.distributions`, tens of milliseconds), at most once per process and, for the
    per-cell tracker, on a background thread.  Packages installed
    after it was built are not in it; their modules are still found through
    ``__version__`` when they define one.
    """

    def __init__(self) -> None:
        self._build_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._ready = threading.Event()
        self._started = False
        self._versions: dict[str, str] = {}

    def ready(self) -> bool:
        return self._ready.is_set()

    def build(self, installed: Mapping[str, str] | None = None) -> None:
        """Build the index on this thread (no-op once built; never raises).

        ``installed`` is a fresh :func:`installed_packages` result, if the caller has one.
        """
        with self._build_lock:
            if self._ready.is_set():
                return
            try:
                from .distributions import installed as scan
                from .distributions import normalise

                installed = installed_packages() if installed is None else installed
                providers: dict[str, list[str]] = {}
                for dist in scan():
                    for module in dist.import_names():
                        providers.setdefault(module, []).append(dist.name)
                for module, dists in providers.items():
                    found = {installed.get(normalise(d)) for d in dists} - {None}
                    # Namespace packages shared by distributions of different versions
                    # have no single version.
                    if len(found) == 1:
                        self._versions[module] = str(found.pop())
            except Exception:
                pass
            self._ready.set()

    def build_in_background(self) -> None:
        with self._start_lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self.build, name="jupyter-ext-dist-index", daemon=True).start()

    def version(self, module: str) -> str | None:
        return self._versions.get(module)


_INDEX = _DistributionIndex()
_MODULE_DICT = vars(ModuleType)["__dict__"]
_SKIP = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)


def _own_version(module: object) -> str | None:
    """A module's plain-string ``__version__``, read without running any of its code.

    The module's dictionary is read through ``ModuleType``'s own descriptor, so neither a
    module ``__getattr__`` (lazy loaders such as SciPy's) nor an overridden
    ``__getattribute__`` runs; a ``str`` subclass is copied without calling its methods.
    """
    if not issubclass(type(module), ModuleType):
        return None
    namespace = _MODULE_DICT.__get__(module, type(module))
    version = namespace.get("__version__") if type(namespace) is dict else None
    return str.__str__(version) if issubclass(type(version), str) else None


class ImportedVersions:
    """Versions of the third-party top-level modules imported so far, incrementally.

    :meth:`update` is called after every cell.  When ``len(modules)`` has not changed
    since the last call it returns at once (well under a microsecond); otherwise it looks
    only at names it has not seen before.  A module replaced by another one in the same
    call, leaving the count equal, is noticed at the next import.

    Modules without ``__version__`` are resolved through the installed distributions.
    With ``wait=False`` (for the cell path) the index of distributions is built on a
    background thread and those modules are reported by a later :meth:`update` once it is
    ready; with ``wait=True`` it is built on the calling thread when first needed.
    """

    def __init__(
        self,
        modules: Mapping[str, object] | None = None,
        known: Mapping[str, str] | None = None,
        *,
        wait: bool = False,
    ) -> None:
        self._modules: Mapping[str, object] = sys.modules if modules is None else modules
        self._wait = wait
        self._count = -1
        self._seen: set[str] = set(known or ())
        self._pending: set[str] = set()
        self.versions: dict[str, str] = dict(known or {})
        """Every version found so far, by top-level module name."""

    def update(self) -> dict[str, str] | None:
        """Versions of the modules imported since the last call, or ``None`` if none."""
        count = len(self._modules)
        if count == self._count and not (self._pending and _INDEX.ready()):
            return None
        self._count = count
        new: dict[str, str] = {}
        for name, module in list(self._modules.items()):
            if name in self._seen:
                continue
            self._seen.add(name)
            if "." in name or name.startswith("_") or name in _SKIP:
                continue
            version = _own_version(module)
            if version is not None:
                new[name] = version
            else:
                self._pending.add(name)
        if self._pending and not _INDEX.ready():
            if self._wait:
                _INDEX.build()
            else:
                _INDEX.build_in_background()
        if self._pending and _INDEX.ready():
            for name in self._pending:
                version = _INDEX.version(name)
                if version is not None:
                    new[name] = version
            self._pending.clear()
        if not new:
            return None
        self.versions.update(new)
        return new


def imported_versions(
    modules: Mapping[str, object] | None = None, known: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Versions of the third-party top-level modules in ``modules`` (``sys.modules``).

    Entries of ``known`` are trusted and not looked up again; only modules still present
    are returned, sorted by name.  Standard-library, built-in and private (``_x``)
    modules are skipped, and so are modules whose version cannot be found (local code).
    May take 100-300 ms the first time a module without ``__version__`` is met.
    """
    modules = sys.modules if modules is None else modules
    tracker = ImportedVersions(modules, known, wait=True)
    tracker.update()
    present = set(modules)
    return {k: v for k, v in sorted(tracker.versions.items()) if k in present}


def _sections(directory: str | Path | None) -> dict[str, Callable[[], Any]]:
    listed: dict[str, str] = {}

    def packages() -> dict[str, str]:
        listed.update(installed_packages())
        return listed

    def imported() -> dict[str, str]:
        # Built here, off the cell path, so that the per-cell tracker finds it ready;
        # reusing the package list saves listing the distributions twice.
        _INDEX.build(listed or None)
        return imported_versions()

    return {
        "python": _python,
        "platform": _platform,
        "cpu": _cpu,
        "memory_bytes": _memory_bytes,
        "gpus": _gpus,
        "packages": packages,
        "imported": imported,
        "git": lambda: git_info(directory),
        "env": allowed_environment,
    }


def _short_reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return REDACTED if looks_secret_value(reason) else reason


def capture_environment(directory: str | Path | None = None) -> dict[str, Any]:
    """The ``environment`` section of a run record; JSON-serialisable, never raises.

    ``directory`` is where git state is looked up (default: the working directory).
    Takes tens to a few hundred milliseconds, mostly listing installed packages, so it
    belongs on a background thread.  String values are checked once more for secrets on
    the way out: a path or a CPU name cannot leak a token into a published record.
    """
    started = time.perf_counter()
    env: dict[str, Any] = {"captured_at": time.time()}
    for key, section in _sections(directory).items():
        try:
            env[key] = section()
        except Exception as exc:  # one section must not sink the others
            env[key] = {"error": _short_reason(exc)}
    env = redact(env, by_name=False)
    env["capture_seconds"] = round(time.perf_counter() - started, 4)
    return env
