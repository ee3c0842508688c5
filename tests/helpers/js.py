"""Reading what the jsfile sink wrote with a real JavaScript engine (node)."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

from devface_adapters.jsfile import DEFAULT_IDENTIFIER

READ_CONSTANT = """
const vm = require("vm"), fs = require("fs");
const context = vm.createContext({});
vm.runInContext(fs.readFileSync(process.argv[1], "utf8") + ";globalThis.__value = " + process.argv[2], context);
process.stdout.write(JSON.stringify(context.__value));
"""


def js_constant(path: Path, identifier: str = DEFAULT_IDENTIFIER):
    """The value a script file declares under `identifier`, as node evaluates it (node's error on failure)."""
    result = subprocess.run(["node", "-e", READ_CONSTANT, str(path), identifier],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr.strip().splitlines()[-1:]
    return json.loads(result.stdout)


def js_face_png(path: Path, identifier: str = DEFAULT_IDENTIFIER) -> bytes:
    """The PNG inside the data URL a jsfile declares."""
    data_url = js_constant(path, identifier)
    assert data_url.startswith("data:image/png;base64,")
    return base64.b64decode(data_url.split(",", 1)[1])
