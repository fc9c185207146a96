"""The PACS nodes the user has configured, kept in pacs.json in the per-user configuration folder.

The folder is $CEMVIEWER_CONFIG_DIR when set, else $XDG_CONFIG_HOME/cemviewer (~/.config/cemviewer). The file:

    {"default": "Hospital PACS",
     "nodes": [{"name": "Hospital PACS", "protocol": "dicomweb", "dicomweb_url": "http://pacs:8042/dicom-web",
                "username": "", "password": "", "host": "pacs", "port": 104, "called_ae": "PACS",
                "calling_ae": "CEMVIEWER", "connect_timeout_s": 5, "read_timeout_s": 30}]}

A node is reached over DICOMweb (its URL) or DIMSE (host, port and AE titles), whichever `protocol` names; the
other fields may be filled in too, for the day the node is switched. The password, when one is needed, is kept in
this file as typed: the file is written readable by its owner only.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from cemviewer.pacs.errors import PacsError

CONFIG_ENV = "CEMVIEWER_CONFIG_DIR"
CONFIG_NAME = "pacs.json"
DICOMWEB = "dicomweb"
DIMSE = "dimse"
PROTOCOLS = (DICOMWEB, DIMSE)
_AE_TITLE = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")  # 16 printable characters, no backslash


@dataclass
class PacsNode:
    name: str
    protocol: str = DICOMWEB
    dicomweb_url: str = ""
    username: str = ""  # HTTP basic authentication; both empty: none
    password: str = ""
    host: str = ""
    port: int = 104
    called_ae: str = ""  # the archive's AE title
    calling_ae: str = "CEMVIEWER"  # ours, as the archive knows it (C-GET answers come back to it)
    connect_timeout_s: float = 5.0  # how long a server that does not pick up is waited for
    read_timeout_s: float = 30.0  # how long a silent server is waited for, per answer

    def problems(self) -> list[str]:
        """What keeps this node from being used, in words for the settings dialog; empty when it is usable."""
        found = []
        if not self.name.strip():
            found.append("the node needs a name")
        if self.protocol not in PROTOCOLS:
            found.append(f"protocol must be one of {', '.join(PROTOCOLS)}, not {self.protocol!r}")
        if self.protocol == DICOMWEB and not re.match(r"^https?://[^/\s]+", self.dicomweb_url.strip()):
            found.append("the DICOMweb URL must start with http:// or https:// and name a server")
        if self.protocol == DIMSE:
            if not self.host.strip():
                found.append("DIMSE needs the archive's host name or address")
            if not 0 < self.port < 65536:
                found.append(f"port {self.port} is not between 1 and 65535")
            for what, title in (("the archive's AE title", self.called_ae), ("our AE title", self.calling_ae)):
                if not _AE_TITLE.match(title.strip()):
                    found.append(f"{what} must be 1 to 16 characters without a backslash")
        if self.connect_timeout_s <= 0 or self.read_timeout_s <= 0:
            found.append("timeouts must be more than zero seconds")
        return found

    @property
    def address(self) -> str:
        """Where the node is, for messages: its URL or AE@host:port."""
        if self.protocol == DIMSE:
            return f"{self.called_ae}@{self.host}:{self.port}"
        return self.dicomweb_url

    @classmethod
    def from_dict(cls, values: dict) -> PacsNode:
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
        if not isinstance(values.get("name"), str):
            raise TypeError("a node without a name")
        node = cls(**values)
        if not isinstance(node.port, int):
            raise TypeError(f"{node.name}: port must be a whole number")
        if not all(isinstance(t, int | float) for t in (node.connect_timeout_s, node.read_timeout_s)):
            raise TypeError(f"{node.name}: timeouts must be numbers of seconds")
        return node


@dataclass
class PacsConfig:
    nodes: list[PacsNode] = field(default_factory=list)
    default: str = ""  # the name of the node the PACS dialog starts with

    def node(self, name: str | None = None) -> PacsNode | None:
        """The node called `name`, else the default one, else the first; None when there are none."""
        wanted = name or self.default
        return next((n for n in self.nodes if n.name == wanted), self.nodes[0] if self.nodes and not name else None)

    def put(self, node: PacsNode, replacing: str | None = None) -> None:
        """Add `node`, or replace the node called `replacing` (default: the node's own name) in place."""
        old = replacing or node.name
        for index, existing in enumerate(self.nodes):
            if existing.name == old:
                self.nodes[index] = node
                break
        else:
            self.nodes.append(node)
        if self.default in ("", old):
            self.default = node.name


def config_dir() -> Path:
    configured = os.environ.get(CONFIG_ENV)
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "cemviewer"


def config_path() -> Path:
    return config_dir() / CONFIG_NAME


def load_config(path: Path | None = None) -> PacsConfig:
    """The configured nodes; an empty configuration when there is no file. PacsError when the file cannot be read
    or is not a configuration (the message says which file and what is wrong with it)."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return PacsConfig()
    except (OSError, UnicodeDecodeError) as error:
        raise PacsError(f"Cannot read the PACS settings {path}: {error}") from error
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("nodes", []), list):
            raise TypeError('expected {"nodes": [...], "default": "..."}')
        nodes = [PacsNode.from_dict(item) if isinstance(item, dict) else _not_a_node(item)
                 for item in data.get("nodes", [])]
        return PacsConfig(nodes, str(data.get("default", "")))
    except (ValueError, TypeError) as error:
        raise PacsError(f"The PACS settings {path} are not usable ({error}); fix or delete the file") from error


def _not_a_node(item) -> PacsNode:
    raise ValueError(f"a node must be an object, not {json.dumps(item)[:40]}")


def save_config(config: PacsConfig, path: Path | None = None) -> Path:
    """Write the configuration (temporary file, then rename, so a crash leaves the old file whole), readable by
    its owner only as it may hold a password."""
    path = path or config_path()
    text = json.dumps({"default": config.default, "nodes": [asdict(node) for node in config.nodes]}, indent=2)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        os.replace(temporary, path)
    except OSError as error:
        raise PacsError(f"Cannot save the PACS settings to {path}: {error}") from error
    return path
