"""The secret scanner behind the context policy's port: Yelp's detect-secrets, with its own rules.

detect-secrets scans files on disk (its filters and transformers look at the file's name: lock files,
YAML, INI), so each text is written to a private temporary folder under a name made from the file's
extension only, never from its path. Three of its detectors are left out because they flag what context
files are full of and are not credentials: the two high-entropy detectors (integrity hashes in lock files
and manifests, image digests in Dockerfiles, commit SHAs in workflows) and the public IP address detector
(addresses in nginx and compose files). The keyword detector and every provider's detector (AWS, GitHub,
GitLab, Slack, Stripe, OpenAI, npm, PyPI, private keys, JWTs, basic auth in URLs, ...) stay.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from types import TracebackType

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.scan import scan_file
from detect_secrets.settings import transient_settings

from domain.context_policy import SecretFinding

LEFT_OUT_DETECTORS = frozenset({"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"})
# Names detect-secrets treats specially (lock files are skipped by its is_lock_file filter).
_KNOWN_NAMES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "pipfile.lock"})
_SAFE_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


def _plugins_used() -> list[dict[str, str]]:
    detectors: list[type] = list(get_mapping_from_secret_type_to_class().values())
    return [{"name": detector.__name__} for detector in detectors if detector.__name__ not in LEFT_OUT_DETECTORS]


def scratch_name(path: str) -> str:
    """The name a file is scanned under: its extension (and a lock file's well-known name), nothing else."""
    name = path.rsplit("/", 1)[-1].lower()
    if name in _KNOWN_NAMES:
        return name
    extension = name[name.rfind(".") :] if "." in name[1:] else ""
    return "scanned" + (extension if _SAFE_EXTENSION.fullmatch(extension) else "")


class DetectSecretsScanner:
    """Use as a context manager: detect-secrets' settings are the process's while it is open."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="neptun-scan-")
        self._settings = transient_settings({"plugins_used": _plugins_used()})

    def __enter__(self) -> DetectSecretsScanner:
        self._settings.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._settings.__exit__(kind, error, traceback)
        self._folder.cleanup()

    def findings(self, path: str, text: str) -> list[SecretFinding]:
        """Each line and kind detect-secrets reports in the text, in line order; never the value."""
        scratch = Path(self._folder.name) / scratch_name(path)
        scratch.write_text(text, encoding="utf-8", newline="")
        try:
            found = {SecretFinding(secret.line_number, secret.type) for secret in scan_file(str(scratch))}
        finally:
            scratch.unlink()
        return sorted(found, key=lambda finding: (finding.line, finding.kind))
