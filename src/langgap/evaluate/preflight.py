"""Input a run cannot start with, explained in one line that names the bad value and the fix.

Inspect raises plain `ValueError`s for model names, `PrerequisiteError`s with rich markup for a
missing API key or a log folder of other arguments, and zip errors for a corrupt `.eval` file;
`run_eval` turns each into a `RunError` whose message is one plain line.

>>> one_line("ERROR: Unable to start\\n\\nNo [bold][blue]OPENAI_API_KEY[/blue][/bold] set.")
'Unable to start: No OPENAI_API_KEY set.'
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Sequence
from pathlib import Path

import httpx
from inspect_ai._util.entrypoints import ensure_entry_points
from inspect_ai._util.error import PrerequisiteError
from inspect_ai._util.registry import registry_find, registry_info, registry_unqualified_name
from inspect_ai.log import list_eval_logs, read_eval_log
from rich.text import Text


class RunError(ValueError):
    """A run cannot start; the message is one line naming the bad value and the fix."""


_KEY = re.compile(r"\[bold\]\[blue\]([A-Z][A-Z0-9_]*)\[/blue\]\[/bold\]")


def one_line(message: object) -> str:
    """`message` without rich markup, an "ERROR:" prefix or line breaks."""
    raw = str(message)
    try:
        plain = Text.from_markup(raw).plain
    except Exception:  # not valid markup: keep the text as it is
        plain = raw
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", plain)]
    plain = ": ".join(p for p in paragraphs if p)
    return re.sub(r"^(ERROR|Error|error):\s*", "", plain)


def providers() -> list[str]:
    """The model providers (API names) Inspect knows, extensions included."""
    ensure_entry_points()
    found = registry_find(lambda info: info.type == "modelapi")
    return sorted({registry_unqualified_name(registry_info(api)) for api in found})


def check_models(models: Sequence[str]) -> None:
    """Each model is PROVIDER/NAME with a provider Inspect knows, else a RunError with the fix."""
    known = providers()
    listed = ", ".join(known)
    for model in models:
        provider, slash, _ = model.partition("/")
        if not slash or not provider:
            name = model.strip("/") or "MODEL"
            raise RunError(
                f"model {model!r} names no provider. Fix: write PROVIDER/MODEL, e.g. "
                f"openai/{name} or openai-api/vllm/{name}; providers Inspect knows: {listed}"
            )
        if provider not in known:
            close = difflib.get_close_matches(provider, known, n=3, cutoff=0.6)
            fix = f"did you mean {' or '.join(close)}? Otherwise use" if close else "use"
            raise RunError(
                f"model {model!r}: unknown provider {provider!r}. Fix: {fix} one of the "
                f"providers Inspect knows: {listed}"
            )


def explain_prerequisite(err: PrerequisiteError, log_dir: str) -> RunError:
    """Inspect's PrerequisiteError as one plain line with the langgap fix."""
    raw = str(err.message)
    text = one_line(raw)
    if "not associated with a task passed to eval_set" in raw:
        name = re.search(r"'([^']+)'", text)
        file = name.group(1) if name else "a log"
        return RunError(
            f"log folder {log_dir} holds {file} from a run with other arguments. Fix: rerun with "
            "the earlier arguments to resume that run, give these arguments a new --log-dir, or "
            "add --log-dir-allow-dirty to keep both runs in one folder"
        )
    keys = _KEY.findall(raw)
    if keys:
        sets = " or ".join(keys)
        return RunError(f"{text} Fix: set the environment variable {sets} (export {keys[0]}=...)")
    return RunError(text)


def unreadable_logs(log_dir: str) -> list[tuple[str, str]]:
    """(file, error) for each log in `log_dir` whose header cannot be read."""
    bad: list[tuple[str, str]] = []
    if not Path(log_dir).is_dir():
        return bad
    for info in list_eval_logs(log_dir, recursive=True):
        try:
            read_eval_log(info, header_only=True)
        except Exception as err:  # any failure to read makes the file unusable
            bad.append((info.name.removeprefix("file://"), one_line(err) or type(err).__name__))
    return bad


def corrupt_log_error(log_dir: str) -> RunError | None:
    """A RunError naming the unreadable logs of `log_dir`, or None when all can be read."""
    bad = unreadable_logs(log_dir)
    if not bad:
        return None
    names = ", ".join(f"{file} ({error})" for file, error in bad)
    move = f"mv '{bad[0][0]}' /tmp/" if len(bad) == 1 else "mv FILE /tmp/ for each"
    return RunError(
        f"cannot read log file(s) in {log_dir}: {names}. Fix: move the file(s) out of the folder "
        f"({move}) and rerun; the other logs are kept"
    )


def check_languages(languages: Sequence[str] | None, option: str = "--languages") -> None:
    """Every language is a known name or code, or a RunError names each unknown one."""
    from langgap.languages import suggest, try_lookup

    bad = [q for q in languages or () if try_lookup(q) is None]
    if not bad:
        return
    parts = []
    for query in bad:
        close = suggest(query, limit=3)
        parts.append(f"{query!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
    raise RunError(
        f"{option}: unknown language {', '.join(parts)}. Fix: give ISO codes or English names, "
        f"e.g. {option} en,bn or {option} English,Bengali (`langgap languages lookup NAME` "
        "checks one)"
    )


# providers whose server address comes from an environment variable (openai-api takes the
# variable's name from the model: openai-api/vllm/M reads VLLM_BASE_URL)
_BASE_URL_VARIABLES = {"openai": "OPENAI_BASE_URL", "vllm": "VLLM_BASE_URL"}
_BASE_URL_VARIABLES |= {"ollama": "OLLAMA_BASE_URL"}
PROBE_SECONDS = 3.0


def base_url_variable(model: str) -> str | None:
    """The environment variable that holds a model's server address, if its provider has one."""
    provider, _, rest = model.partition("/")
    if provider == "openai-api":
        service = rest.partition("/")[0]
        return f"{service.upper().replace('-', '_')}_BASE_URL" if service else None
    return _BASE_URL_VARIABLES.get(provider)


def probe_servers(models: Sequence[str]) -> None:
    """One quick request to each configured model server before a run: when nothing answers,
    a RunError naming the address and the variable, in seconds rather than after every sample
    has exhausted its retries. Any HTTP answer (even an error status) means a server is there."""
    for model in models:
        variable = base_url_variable(model)
        url = os.environ.get(variable) if variable else None
        if not url:
            continue  # a hosted default address: the provider reports its own errors
        try:
            httpx.get(f"{url.rstrip('/')}/models", timeout=PROBE_SECONDS)
        except httpx.TransportError as err:
            raise RunError(
                f"model {model!r}: nothing answers at {url} ({type(err).__name__}). Fix: start "
                f"the model server, or point {variable} at it"
            ) from None
